/**
 * What a session keeps of its sandbox between processes.
 *
 * - A sandbox with a provider id (`sandbox.id`: E2B, Vercel) keeps running on its own: the record
 *   notes the provider and the id, and the factory reconnects to it by the session id.
 * - A sandbox without one (the virtual sandbox) dies with its process: after each save its files
 *   are read into the record, and the next process writes them into its new sandbox before the
 *   session opens. Files are kept, directories only as the parents of files (an empty directory is
 *   not kept), and symbolic links not at all.
 * - Reading is bounded: more than `maxBytes` of file contents or `maxFiles` files is a
 *   `SessionTooLargeError` and nothing is saved.
 * - A file whose size and modification time did not change since the last read, and whose
 *   modification time lies well before that read began (so a write in the same clock tick cannot
 *   hide), is not read again.
 */
import { DEFAULT_MAX_WORKSPACE_BYTES, type Sandbox, SessionTooLargeError } from '@pyflue/core'

/** The most files a session's workspace keeps. */
export const MAX_WORKSPACE_FILES = 100_000

/** How far before a read a file's modification time must lie for the read's copy to be reused. */
const MTIME_MARGIN_MS = 2_000

/** The files of a workspace by absolute sandbox path. */
export type WorkspaceFiles = Record<string, Uint8Array>

/** True when the sandbox's files die with it, so the session store keeps them. */
export function keepsWorkspaceFiles(sandbox: Sandbox): boolean {
  return sandbox.id === undefined || sandbox.id === ''
}

interface Seen {
  size: number | undefined
  mtimeMs: number | undefined
  bytes: Uint8Array
}

/** Reads a sandbox's files, re-reading only those that changed since its last read. */
export class WorkspaceReader {
  readonly #sandbox: Sandbox
  readonly #sessionId: string
  readonly #maxBytes: number
  readonly #maxFiles: number
  #seen = new Map<string, Seen>()
  #lastReadStartedMs = Number.NEGATIVE_INFINITY

  constructor(sandbox: Sandbox, sessionId: string, limits: { maxBytes?: number; maxFiles?: number } = {}) {
    this.#sandbox = sandbox
    this.#sessionId = sessionId
    this.#maxBytes = limits.maxBytes ?? DEFAULT_MAX_WORKSPACE_BYTES
    this.#maxFiles = limits.maxFiles ?? MAX_WORKSPACE_FILES
  }

  /** Every file of the workspace now; throws `SessionTooLargeError` past the bounds. */
  async read(): Promise<WorkspaceFiles> {
    const startedMs = Date.now()
    const reusableBefore = this.#lastReadStartedMs - MTIME_MARGIN_MS
    const files: WorkspaceFiles = {}
    const seen = new Map<string, Seen>()
    let bytes = 0
    let count = 0
    for await (const { path, stat } of this.#regularFiles()) {
      count++
      if (count > this.#maxFiles) this.#tooLarge('workspace file count', this.#maxFiles, count)
      const mtimeMs = stat.mtime?.getTime()
      const previous = this.#seen.get(path)
      const content =
        previous &&
        stat.size !== undefined &&
        mtimeMs !== undefined &&
        previous.size === stat.size &&
        previous.mtimeMs === mtimeMs &&
        mtimeMs < reusableBefore
          ? previous.bytes
          : await this.#sandbox.readFileBuffer(path)
      bytes += content.byteLength
      if (bytes > this.#maxBytes) this.#tooLarge('workspace', this.#maxBytes, bytes)
      files[path] = content
      seen.set(path, { size: stat.size, mtimeMs, bytes: content })
    }
    this.#seen = seen
    this.#lastReadStartedMs = startedMs
    return files
  }

  /**
   * Puts the workspace back to `files` (what the store holds): files not in it are removed, and
   * its files that are gone or differ are written back. Used when a save failed, so the sandbox
   * matches the store again. Reads every file once and has no bounds (the workspace may have
   * grown past them: that may be why the save failed). The next `read()` reads every file anew.
   */
  async revert(files: WorkspaceFiles): Promise<void> {
    this.#seen = new Map()
    this.#lastReadStartedMs = Number.NEGATIVE_INFINITY
    const present = new Set<string>()
    for await (const { path } of this.#regularFiles()) present.add(path)
    for (const path of present) if (!Object.hasOwn(files, path)) await this.#sandbox.rm(path, { force: true })
    for (const [path, content] of Object.entries(files)) {
      if (present.has(path) && sameBytes(await this.#sandbox.readFileBuffer(path), content)) continue
      const parent = path.slice(0, path.lastIndexOf('/'))
      if (parent !== '') await this.#sandbox.mkdir(parent, { recursive: true })
      await this.#sandbox.writeFile(path, content)
    }
  }

  /**
   * Every regular file under `/` with its stat, names in sorted order; symbolic links are skipped,
   * and a directory or entry that cannot be read is passed over.
   */
  async *#regularFiles(): AsyncGenerator<{ path: string; stat: Awaited<ReturnType<Sandbox['stat']>> }> {
    const stack = ['/']
    while (stack.length > 0) {
      const dir = stack.pop()!
      let names: string[]
      try {
        names = await this.#sandbox.readdir(dir)
      } catch {
        continue
      }
      for (const name of names.sort()) {
        const path = dir === '/' ? `/${name}` : `${dir}/${name}`
        let stat: Awaited<ReturnType<Sandbox['stat']>>
        try {
          stat = await this.#sandbox.stat(path)
        } catch {
          continue
        }
        if (stat.isSymbolicLink) continue
        if (stat.isDirectory) stack.push(path)
        else if (stat.isFile) yield { path, stat }
      }
    }
  }

  #tooLarge(part: string, limitBytes: number, actualBytes: number): never {
    throw new SessionTooLargeError({ sessionId: this.#sessionId, part, limitBytes, actualBytes })
  }
}

/** Writes `files` into `sandbox`, making parent directories as needed. */
export async function restoreWorkspaceFiles(sandbox: Sandbox, files: WorkspaceFiles): Promise<void> {
  // Each directory is made once, not once per file in it.
  const made = new Set<string>()
  for (const [path, content] of Object.entries(files)) {
    const parent = path.slice(0, path.lastIndexOf('/'))
    if (parent !== '' && !made.has(parent)) {
      await sandbox.mkdir(parent, { recursive: true })
      made.add(parent)
    }
    await sandbox.writeFile(path, content)
  }
}

/** The files written or changed from `previous` to `current`, and the paths removed. */
export function workspaceDelta(
  previous: WorkspaceFiles,
  current: WorkspaceFiles,
): { written: WorkspaceFiles; removed: string[] } {
  const written: WorkspaceFiles = {}
  for (const [path, content] of Object.entries(current)) {
    const before = previous[path]
    if (before === undefined || !sameBytes(before, content)) written[path] = content
  }
  const removed = Object.keys(previous).filter((path) => !(path in current))
  return { written, removed }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true
  if (a.byteLength !== b.byteLength) return false
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  )
}
