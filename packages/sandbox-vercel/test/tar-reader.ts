/**
 * Test infrastructure: reads the entries of an (already gunzipped) tar archive, enough for what
 * the `@vercel/sandbox` SDK uploads (ustar headers written by tar-stream, with the `prefix`
 * field, PAX `path` records and GNU long names).
 */
export interface TarEntry {
  name: string
  type: 'file' | 'directory' | 'other'
  mode: number
  content: Buffer
}

export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = []
  let offset = 0
  let longName: string | undefined
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '')
    const size = Number.parseInt(field(124, 12).trim() || '0', 8)
    const typeflag = field(156, 1) || '0'
    const magic = field(257, 6)
    const prefix = magic.startsWith('ustar') ? field(345, 155) : ''
    const body = archive.subarray(offset + 512, offset + 512 + size)
    offset += 512 + Math.ceil(size / 512) * 512
    if (typeflag === 'x') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))
      if (path) longName = path[1]
      continue
    }
    if (typeflag === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '')
      continue
    }
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))
    longName = undefined
    entries.push({
      name,
      type: typeflag === '0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'directory' : 'other',
      mode: Number.parseInt(field(100, 8).trim() || '644', 8),
      content: Buffer.from(body),
    })
  }
  return entries
}
