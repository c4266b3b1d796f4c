/**
 * The on-disk layout 2 of `FileSessionStore` (see README.md beside this file): the `head.json`
 * that names everything committed, the append-only files read up to their committed length, the
 * workspace index log, and the byte-level helpers (JSON with bytes, prefix reads, truncate-then-
 * append, atomic writes).
 */
import { open, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { StateFormatError } from '@pyflue/core'

export const FORMAT = 'pyflue-session-dir'
export const LAYOUT = 2

/** `head.json`: the commit point. Every other file is read only as far as the head says. */
export interface Head {
  format: typeof FORMAT
  layout: typeof LAYOUT
  version: number
  updatedAt: string
  /** Committed byte length of `messages.jsonl` (one JSON message per line). */
  messagesBytes: number
  python?: {
    backend: string
    engineVersion: string
    /** The snapshot file, when a snapshot was committed. */
    snapshot?: string
    /** The deltas file (one JSON delta per line) and its committed byte length. */
    deltas: string
    deltasBytes: number
  }
  workspace: {
    /** The index log file (`''` before the first file) and its committed byte length. */
    index: string
    indexBytes: number
    /** Lines in the index log, and live files: the log is compacted when it holds too many dead lines. */
    entries: number
    live: number
    /** Total bytes of the live files' contents. */
    bytes: number
  }
  sandbox?: { provider: string; sandboxId: string }
  extensions: Record<string, unknown>
}

/** One line of the workspace index log: a file's blob and size, or its removal (no `b`). */
export interface IndexLine {
  p: string
  b?: string
  s?: number
}

/** A live workspace file: the blob holding its contents and its size. */
export interface IndexEntry {
  blob: string
  size: number
}

export function emptyHead(): Head {
  return {
    format: FORMAT,
    layout: LAYOUT,
    version: 0,
    updatedAt: new Date(0).toISOString(),
    messagesBytes: 0,
    workspace: { index: '', indexBytes: 0, entries: 0, live: 0, bytes: 0 },
    extensions: {},
  }
}

/** Refuses a `head.json` of another format or layout with `StateFormatError`. */
export function checkHead(id: string, head: unknown): Head {
  const candidate = head as Partial<Head> | null
  if (!candidate || candidate.format !== FORMAT) {
    throw new StateFormatError('magic', `Session '${id}' is not a PyFlue session folder.`)
  }
  if (candidate.layout !== LAYOUT) {
    throw new StateFormatError(
      'version',
      `Session '${id}' is stored in layout ${candidate.layout ?? 1} (one c-<version>.json per commit, replayed on load); this FileSessionStore reads layout ${LAYOUT} and does not migrate it. Delete the session's folder in the store directory to start it again, or use another directory.`,
    )
  }
  return candidate as Head
}

/** Folds index log lines into the live files (later lines win; a line without a blob removes). */
export function foldIndex(files: Map<string, IndexEntry>, text: string): number {
  let lines = 0
  for (const line of text.split('\n')) {
    if (line === '') continue
    lines += 1
    const entry = parseJson<IndexLine>(line)
    if (entry.b === undefined) files.delete(entry.p)
    else files.set(entry.p, { blob: entry.b, size: entry.s ?? 0 })
  }
  return lines
}

/** JSON with byte arrays as `{ $bytes: base64 }`. */
export function encode(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') }
  if (Array.isArray(value)) return value.map(encode)
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]))
  return value
}

export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode)
  if (value && typeof value === 'object') {
    const bytes = (value as { $bytes?: unknown }).$bytes
    if (typeof bytes === 'string' && Object.keys(value).length === 1)
      return new Uint8Array(Buffer.from(bytes, 'base64'))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]))
  }
  return value
}

export function parseJson<T>(text: string): T {
  try {
    return JSON.parse(text) as T
  } catch (error) {
    throw new StateFormatError('corrupt', 'A session file is not valid JSON.', { cause: error })
  }
}

/** The JSON of `file`, or undefined when it does not exist. */
export async function readJson<T>(file: string): Promise<T | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
  return parseJson<T>(text)
}

/** The bytes `[from, to)` of `file`; fewer bytes than that means the file was cut short. */
export async function readRange(file: string, from: number, to: number): Promise<Buffer> {
  if (to <= from) return Buffer.alloc(0)
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(to - from)
    let done = 0
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, from + done)
      if (bytesRead === 0)
        throw new StateFormatError('truncated', 'A session file is shorter than its head says.')
      done += bytesRead
    }
    return buffer
  } finally {
    await handle.close()
  }
}

/**
 * Appends `text` to `file` after its first `committed` bytes: bytes past them (left by a commit
 * that crashed before its head was renamed into place) are cut first. With `sync`, the bytes
 * are on the disk when it resolves. Resolves the new length.
 */
export async function appendAfter(
  file: string,
  committed: number,
  text: string,
  sync: boolean,
): Promise<number> {
  const handle = await open(file, 'a+')
  try {
    const { size } = await handle.stat()
    if (size < committed)
      throw new StateFormatError('truncated', 'A session file is shorter than its head says.')
    if (size > committed) await handle.truncate(committed)
    const bytes = Buffer.from(text, 'utf8')
    await handle.write(bytes, 0, bytes.length, committed)
    if (sync) await handle.sync()
    return committed + bytes.length
  } finally {
    await handle.close()
  }
}

/**
 * Writes `file` whole or not at all: a temporary name, then a rename into place. With `sync`,
 * the bytes are on the disk before the rename and the rename is on the disk when it resolves.
 */
export async function writeAtomically(
  file: string,
  body: string | Uint8Array,
  token: string,
  sync: boolean,
): Promise<void> {
  const temporary = `${file}.${token}.tmp`
  await writeDurably(temporary, body, sync)
  await rename(temporary, file)
  await syncDirectory(dirname(file), sync)
}

/** Creates or replaces `file` with `body`; with `sync`, its bytes are on the disk when it resolves. */
export async function writeDurably(file: string, body: string | Uint8Array, sync: boolean): Promise<void> {
  if (!sync) return writeFile(file, body)
  const handle = await open(file, 'w')
  try {
    await handle.writeFile(body)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * With `sync`, puts the names created, renamed or removed in `directory` on the disk (a file's
 * own flush does not cover its directory entry). Nothing without `sync`.
 */
export async function syncDirectory(directory: string, sync: boolean): Promise<void> {
  if (!sync) return
  const handle = await open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}
