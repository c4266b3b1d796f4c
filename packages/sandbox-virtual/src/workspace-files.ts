/**
 * The sandbox's file verbs on the host workspace, every one through `workspace-handles.ts` (pinned,
 * verified parent directories; no link followed, no FIFO opened), charged to `LimitsGate`, and
 * failing with errors that name sandbox paths only.
 */
import { randomBytes } from 'node:crypto'
import type { Stats } from 'node:fs'
import { constants } from 'node:fs'
import {
  chmod,
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises'
import type { FileStat } from '@pyflue/core'
import { isPyFlueError, SandboxFileError, toSandboxFileError } from '@pyflue/core'
import {
  linkRefused,
  notRegularRefused,
  openDirectory,
  openRegularFile,
  withParent,
} from './workspace-handles.js'
import type { LimitsGate } from './workspace-limits.js'

const APPEND_FLAGS =
  constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK

/** The file verbs over one workspace root. Paths are absolute, normalised sandbox paths. */
export class WorkspaceFiles {
  readonly #root: string
  readonly #limits: LimitsGate

  constructor(root: string, limits: LimitsGate) {
    this.#root = root
    this.#limits = limits
  }

  /** A regular file's bytes; `maxBytes` refuses a bigger file (`EIO`, "file too large") unread. */
  async readFile(operation: string, path: string, maxBytes?: number): Promise<Buffer> {
    return fileOp(operation, path, async () => {
      const handle = await openRegularFile(this.#root, path, operation)
      try {
        if (maxBytes !== undefined && (await handle.stat()).size > maxBytes) {
          throw new SandboxFileError({
            errno: 'EIO',
            path,
            operation,
            message: `${operation} ${path}: file too large (over ${maxBytes} bytes)`,
          })
        }
        return await handle.readFile()
      } finally {
        await handle.close()
      }
    })
  }

  /** The entry itself (`lstat`); a link is refused, so what is returned is never one. */
  async lstat(operation: string, path: string): Promise<Stats> {
    return fileOp(operation, path, async () => {
      // `self` names the pinned directory itself (a magic link on Linux): `stat` reaches that object.
      if (path === '/') return withParent(this.#root, '/', (root) => stat(root.self))
      const entry = await withParent(this.#root, path, (parent, name) => lstat(parent.entry(name)))
      if (entry.isSymbolicLink()) throw linkRefused(path)
      return entry
    })
  }

  async stat(path: string): Promise<FileStat> {
    const info = await this.lstat('stat', path)
    return {
      isFile: info.isFile(),
      isDirectory: info.isDirectory(),
      isSymbolicLink: false,
      size: info.size,
      mtime: info.mtime,
    }
  }

  async isDirectory(path: string): Promise<boolean> {
    return (await this.lstat('stat', path).catch(() => undefined))?.isDirectory() === true
  }

  async readdir(path: string): Promise<string[]> {
    return fileOp('readdir', path, async () => {
      const directory = await openDirectory(this.#root, path)
      try {
        return (await readdir(directory.self)).sort()
      } finally {
        await directory.close()
      }
    })
  }

  /** Writes a whole file atomically (temporary file, then rename), creating missing parents. */
  async write(path: string, content: string | Uint8Array): Promise<void> {
    if (path === '/') throw new SandboxFileError({ errno: 'EISDIR', path, operation: 'writeFile' })
    const existing = await this.#existing('writeFile', path)
    if (existing?.isDirectory()) throw new SandboxFileError({ errno: 'EISDIR', path, operation: 'writeFile' })
    if (existing && !existing.isFile()) throw notRegularRefused('writeFile', path)
    const size = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength
    const parent = parentOf(path)
    const missing = existing ? 0 : await this.#missingDirectories(parent)
    await this.#limits.reserve(
      async () => ({ bytes: size - (existing ? existing.size : 0), entries: existing ? 0 : 1 + missing }),
      () =>
        fileOp('writeFile', path, async () => {
          if (missing > 0) await this.#makeDirectories(parent)
          await withParent(this.#root, path, (directory, name) =>
            writeAtomically(
              directory.entry.bind(directory),
              name,
              content,
              existing ? existing.mode & 0o7777 : undefined,
            ),
          )
        }),
    )
  }

  /**
   * Appends to a regular file (created if missing, parents not): opened through its pinned parent
   * without following a link. A file with more than one name (a hard link) is replaced by a copy
   * with the bytes appended, so the other name never changes.
   */
  async append(path: string, content: Uint8Array): Promise<void> {
    const existing = await this.#existing('appendFile', path)
    if (existing?.isDirectory())
      throw new SandboxFileError({ errno: 'EISDIR', path, operation: 'appendFile' })
    if (existing && !existing.isFile()) throw notRegularRefused('appendFile', path)
    if (existing && existing.nlink > 1) {
      const old = await this.readFile('appendFile', path)
      return this.write(path, Buffer.concat([old, content]))
    }
    await this.#limits.reserve(
      async () => ({ bytes: content.byteLength, entries: existing ? 0 : 1 }),
      () =>
        fileOp('appendFile', path, () =>
          withParent(this.#root, path, async (parent, name) => {
            let handle: FileHandle
            try {
              handle = await open(parent.entry(name), APPEND_FLAGS, 0o644)
            } catch (error) {
              const code = (error as NodeJS.ErrnoException).code
              if (code === 'ELOOP') throw linkRefused(path)
              if (code === 'ENXIO' || code === 'EOPNOTSUPP') throw notRegularRefused('appendFile', path)
              throw error
            }
            try {
              if (!(await handle.stat()).isFile()) throw notRegularRefused('appendFile', path)
              await handle.appendFile(content)
            } finally {
              await handle.close()
            }
          }),
        ),
    )
  }

  async mkdir(path: string, recursive: boolean): Promise<void> {
    const existing = await this.#existing('mkdir', path).catch((error: unknown) => {
      // A file where a directory should be: with `recursive` the contract says EEXIST.
      if (recursive && error instanceof SandboxFileError && error.errno === 'ENOTDIR') {
        throw new SandboxFileError({ errno: 'EEXIST', path, operation: 'mkdir' })
      }
      throw error
    })
    if (existing) {
      if (recursive && existing.isDirectory()) return
      throw new SandboxFileError({ errno: 'EEXIST', path, operation: 'mkdir' })
    }
    const missing = recursive ? await this.#missingDirectories(parentOf(path)) : 0
    await this.#limits.reserve(
      async () => ({ bytes: 0, entries: 1 + missing }),
      () =>
        fileOp('mkdir', path, async () => {
          try {
            if (recursive) await this.#makeDirectories(path)
            else await withParent(this.#root, path, (parent, name) => mkdir(parent.entry(name)))
          } catch (error) {
            // A file where a directory should be: with `recursive` the contract says EEXIST.
            if (recursive && (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
              throw new SandboxFileError({ errno: 'EEXIST', path, operation: 'mkdir' })
            }
            throw error
          }
        }),
    )
  }

  /** Removes an entry (a link itself, never its target); `/` is emptied, never removed. */
  async rm(path: string, recursive: boolean, force: boolean): Promise<void> {
    try {
      await fileOp('rm', path, async () => {
        if (path === '/') {
          if (!recursive) throw new SandboxFileError({ errno: 'EISDIR', path, operation: 'rm' })
          const root = await openDirectory(this.#root, '/')
          try {
            for (const name of await readdir(root.self)) {
              await rm(root.entry(name), { recursive: true, force: true })
            }
          } finally {
            await root.close()
          }
          return
        }
        await withParent(this.#root, path, async (parent, name) => {
          const entry = parent.entry(name)
          const found = await lstat(entry).catch((error: NodeJS.ErrnoException) => {
            if (force && error.code === 'ENOENT') return undefined
            throw error
          })
          if (!found) return
          if (found.isDirectory()) {
            if (!recursive) throw new SandboxFileError({ errno: 'EISDIR', path, operation: 'rm' })
            await rm(entry, { recursive: true, force: true })
          } else await unlink(entry)
        })
      }).catch((error: unknown) => {
        // `force` ignores a missing parent too.
        if (force && error instanceof SandboxFileError && error.errno === 'ENOENT') return
        throw error
      })
    } finally {
      this.#limits.invalidate()
    }
  }

  async #existing(operation: string, path: string): Promise<Stats | undefined> {
    try {
      return await this.lstat(operation, path)
    } catch (error) {
      if (error instanceof SandboxFileError && error.errno === 'ENOENT') return undefined
      throw error
    }
  }

  /** How many directories from the root down to `path` (itself included) do not exist yet. */
  async #missingDirectories(path: string): Promise<number> {
    let missing = 0
    for (let current = path; current !== '/'; current = parentOf(current)) {
      if (await this.isDirectory(current)) break
      missing++
    }
    return missing
  }

  /** Creates `path` and its missing parents, one pinned parent at a time. */
  async #makeDirectories(path: string): Promise<void> {
    let current = ''
    for (const name of path.split('/').filter(Boolean)) {
      const here = `${current}/${name}`
      await withParent(this.#root, here, (parent) =>
        mkdir(parent.entry(name)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error
        }),
      )
      current = here
    }
  }
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/'
}

/**
 * Writes `content` to a new temporary file in the pinned directory, then renames it over `name`:
 * a failed write leaves the old file whole, and a file sharing its inode with another name (a hard
 * link) is replaced rather than changed in place, so the write cannot reach the other name.
 */
async function writeAtomically(
  entry: (name: string) => string,
  name: string,
  content: string | Uint8Array,
  mode: number | undefined,
) {
  const temporary = entry(`.pyflue-${randomBytes(8).toString('hex')}.tmp`)
  try {
    await writeFile(temporary, content, { flag: 'wx', ...(mode === undefined ? {} : { mode }) })
    if (mode !== undefined) await chmod(temporary, mode)
    await rename(temporary, entry(name))
  } catch (error) {
    await unlink(temporary).catch(() => {})
    throw error
  }
}

/** Runs a Node file-system call and turns its failure into a `SandboxFileError` (no host paths). */
export async function fileOp<T>(operation: string, target: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (isPyFlueError(error)) throw error
    const converted = toSandboxFileError(error, operation, target)
    if (converted instanceof SandboxFileError) {
      throw new SandboxFileError({ errno: converted.errno, path: target, operation })
    }
    throw new SandboxFileError({
      errno: 'EIO',
      path: target,
      operation,
      message: `${operation} ${target}: ${(error as NodeJS.ErrnoException).code ?? 'input/output error'}`,
    })
  }
}
