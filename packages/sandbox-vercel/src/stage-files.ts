import { InvalidArgumentError, type Sandbox } from '@pyflue/core'

/** One file to copy: the same path on both sides, or a `{ from, to }` pair. */
export type StagedPath = string | { from: string; to: string }

/** What `stageFiles` copied: each pair as resolved by its sandbox, and the byte count. */
export interface StagedFile {
  from: string
  to: string
  bytes: number
}

/**
 * Copies named files from one sandbox to another, byte for byte: e.g. from a remote Vercel
 * sandbox into the workspace an in-process Python backend reads (a virtual sandbox, or one over
 * a host directory), and back again after Python wrote its results. A relative path resolves
 * against each sandbox's own `cwd`. Parents are created on the destination. Nothing is copied
 * implicitly: only the paths named. A missing source rejects with the source sandbox's
 * `SandboxFileError` (`ENOENT`), after the files before it were copied.
 */
export async function stageFiles(
  from: Sandbox,
  to: Sandbox,
  paths: readonly StagedPath[],
): Promise<StagedFile[]> {
  if (!Array.isArray(paths)) throw new InvalidArgumentError('paths', 'paths must be an array.')
  const pairs = paths.map((entry, index) => {
    const pair = typeof entry === 'string' ? { from: entry, to: entry } : entry
    if (
      typeof pair !== 'object' ||
      pair === null ||
      typeof pair.from !== 'string' ||
      typeof pair.to !== 'string' ||
      pair.from === '' ||
      pair.to === ''
    ) {
      throw new InvalidArgumentError(
        'paths',
        `paths[${index}] must be a non-empty path or a { from, to } pair of non-empty paths.`,
      )
    }
    return pair
  })
  const staged: StagedFile[] = []
  for (const pair of pairs) {
    const bytes = await from.readFileBuffer(pair.from)
    await to.writeFile(pair.to, bytes)
    staged.push({ from: from.resolvePath(pair.from), to: to.resolvePath(pair.to), bytes: bytes.byteLength })
  }
  return staged
}
