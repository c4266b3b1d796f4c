import type {
  BufferEncoding,
  ByteString,
  CpOptions,
  FileContent,
  FsStat,
  IFileSystem,
  MkdirOptions,
  RmOptions,
} from 'just-bash'
import { ReadWriteFs } from 'just-bash'
import type { WorkspaceLimits, WorkspaceUsage } from './workspace-limits.js'

/** The largest file a shell command reads at once (just-bash's own default is 10 MiB). */
export const SHELL_MAX_FILE_READ_BYTES = 64 * 1024 * 1024

type DirentEntry = Awaited<ReturnType<NonNullable<IFileSystem['readdirWithFileTypes']>>>[number]
type WriteOptions = Parameters<IFileSystem['writeFile']>[2]
type ReadOptions = Parameters<IFileSystem['readFile']>[1]

/**
 * The file system the shell sees: just-bash's `ReadWriteFs` rooted at the workspace directory
 * (which refuses `..` above the root, absolute host paths and links that leave the root), plus
 * what the sandbox adds on top:
 * - `readOnly`: every change fails with `EROFS`, so no command can write (policy `allowWrite: false`);
 * - size limits: changes that would pass `maxTotalBytes` or `maxFileCount` fail before they happen;
 * - `lstat('/')` works (ReadWriteFs refuses it, which breaks `find /` and `du /`).
 */
export class WorkspaceFs implements IFileSystem {
  readonly #inner: ReadWriteFs
  readonly #readOnly: boolean
  readonly #limits: WorkspaceLimits
  readonly #root: string
  #mutations: Promise<unknown> = Promise.resolve()

  constructor(options: { root: string; readOnly: boolean; limits: WorkspaceLimits }) {
    this.#inner = new ReadWriteFs({
      root: options.root,
      allowSymlinks: true,
      maxFileReadSize: SHELL_MAX_FILE_READ_BYTES,
    })
    this.#readOnly = options.readOnly
    this.#limits = options.limits
    this.#root = options.root
  }

  // Reads pass straight through.
  readFile(path: string, options?: ReadOptions): Promise<string> {
    return this.#inner.readFile(path, options)
  }
  readFileBytes(path: string): Promise<ByteString> {
    return this.#inner.readFileBytes(path)
  }
  readFileBuffer(path: string): Promise<Uint8Array> {
    return this.#inner.readFileBuffer(path)
  }
  exists(path: string): Promise<boolean> {
    return this.#inner.exists(path)
  }
  stat(path: string): Promise<FsStat> {
    return this.#inner.stat(path)
  }
  lstat(path: string): Promise<FsStat> {
    return this.#inner.resolvePath('/', path) === '/' ? this.#inner.stat('/') : this.#inner.lstat(path)
  }
  readdir(path: string): Promise<string[]> {
    return this.#inner.readdir(path)
  }
  readdirWithFileTypes(path: string): Promise<DirentEntry[]> {
    return this.#inner.readdirWithFileTypes(path)
  }
  resolvePath(base: string, path: string): string {
    return this.#inner.resolvePath(base, path)
  }
  getAllPaths(): string[] {
    return this.#inner.getAllPaths()
  }
  readlink(path: string): Promise<string> {
    return this.#inner.readlink(path)
  }
  realpath(path: string): Promise<string> {
    return this.#inner.realpath(path)
  }

  // Changes: refused when read-only, checked against the limits otherwise.
  async writeFile(path: string, content: FileContent, options?: WriteOptions): Promise<void> {
    this.#refuseIfReadOnly('write', path)
    await this.#mutate(async () => {
      await this.#limits.reserve(
        async () => {
          const old = await this.#existing(path)
          return {
            bytes: contentBytes(content, options) - (old?.isFile ? old.size : 0),
            entries: old ? 0 : 1 + (await this.#missingParents(path)),
          }
        },
        () => this.#inner.writeFile(path, content, options),
      )
    })
  }

  async appendFile(path: string, content: FileContent, options?: WriteOptions): Promise<void> {
    this.#refuseIfReadOnly('append', path)
    await this.#mutate(async () => {
      await this.#limits.reserve(
        async () => {
          const old = await this.#existing(path)
          return {
            bytes: contentBytes(content, options),
            entries: old ? 0 : 1 + (await this.#missingParents(path)),
          }
        },
        () => this.#inner.appendFile(path, content, options),
      )
    })
  }

  async mkdir(path: string, options?: MkdirOptions): Promise<void> {
    this.#refuseIfReadOnly('mkdir', path)
    await this.#mutate(async () => {
      await this.#limits.reserve(
        async () => {
          if (await this.#existing(path)) return { bytes: 0, entries: 0 }
          return { bytes: 0, entries: 1 + (options?.recursive ? await this.#missingParents(path) : 0) }
        },
        () => this.#inner.mkdir(path, options),
      )
    })
  }

  async rm(path: string, options?: RmOptions): Promise<void> {
    this.#refuseIfReadOnly('rm', path)
    await this.#mutate(async () => {
      try {
        await this.#inner.rm(path, options)
      } finally {
        this.#limits.invalidate()
      }
    })
  }

  async cp(src: string, dest: string, options?: CpOptions): Promise<void> {
    this.#refuseIfReadOnly('cp', dest)
    await this.#mutate(async () => {
      await this.#limits.reserve(
        () => this.#treeUsage(src),
        () => this.#inner.cp(src, dest, options),
        false,
      )
    })
  }

  async mv(src: string, dest: string): Promise<void> {
    this.#refuseIfReadOnly('mv', dest)
    await this.#mutate(async () => {
      try {
        await this.#inner.mv(src, dest)
      } finally {
        this.#limits.invalidate()
      }
    })
  }

  async chmod(path: string, mode: number): Promise<void> {
    this.#refuseIfReadOnly('chmod', path)
    await this.#mutate(async () => {
      await this.#inner.chmod(path, mode)
    })
  }

  async symlink(target: string, linkPath: string): Promise<void> {
    this.#refuseIfReadOnly('symlink', linkPath)
    await this.#mutate(async () => {
      await this.#limits.reserve(
        async () => ({ bytes: 0, entries: 1 }),
        () => this.#inner.symlink(target, linkPath),
      )
    })
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    this.#refuseIfReadOnly('link', newPath)
    await this.#mutate(async () => {
      await this.#limits.reserve(
        async () => {
          const source = await this.#existing(existingPath)
          return { bytes: source?.isFile ? source.size : 0, entries: 1 }
        },
        () => this.#inner.link(existingPath, newPath),
      )
    })
  }

  async utimes(path: string, atime: Date, mtime: Date): Promise<void> {
    this.#refuseIfReadOnly('utimes', path)
    await this.#mutate(async () => {
      await this.#inner.utimes(path, atime, mtime)
    })
  }

  /**
   * Runs one change at a time, each started from its own caller. just-bash 3.4.2's ReadWriteFs
   * queues overlapping changes and starts a queued one from the call that finished before it;
   * under its default defense-in-depth that start runs in the finishing command's execution
   * context, and two commands writing at once hang. Waiting here until ReadWriteFs has released
   * the root (it does so a few microtasks after the change settles) means its queue stays empty.
   */
  async #mutate<T>(change: () => Promise<T>): Promise<T> {
    const previous = this.#mutations
    let release!: () => void
    this.#mutations = new Promise<void>((resolve) => {
      release = resolve
    })
    await previous
    try {
      return await change()
    } finally {
      for (let tick = 0; tick < 100 && rootIsBusy(this.#root); tick++) await Promise.resolve()
      release()
    }
  }

  #refuseIfReadOnly(operation: string, path: string): void {
    if (this.#readOnly) throw new Error(`EROFS: read-only file system, ${operation} '${path}'`)
  }

  async #existing(path: string): Promise<FsStat | undefined> {
    try {
      return await this.lstat(path)
    } catch {
      return undefined
    }
  }

  /** How many ancestors of `path` do not exist yet (a write creates them). */
  async #missingParents(path: string): Promise<number> {
    let missing = 0
    let current = this.#inner.resolvePath('/', path)
    while (current !== '/') {
      current = current.slice(0, current.lastIndexOf('/')) || '/'
      if (current === '/' || (await this.#inner.exists(current))) break
      missing++
    }
    return missing
  }

  /** Entries and bytes under `path` (the path itself included), read through the shell's view. */
  async #treeUsage(path: string): Promise<WorkspaceUsage> {
    const usage: WorkspaceUsage = { entries: 0, bytes: 0 }
    const pending = [this.#inner.resolvePath('/', path)]
    while (pending.length > 0) {
      const current = pending.pop()!
      const stat = await this.#existing(current)
      if (!stat) continue
      usage.entries++
      if (stat.isFile) usage.bytes += stat.size
      if (stat.isDirectory) {
        for (const name of await this.#inner.readdir(current)) {
          pending.push(current === '/' ? `/${name}` : `${current}/${name}`)
        }
      }
    }
    return usage
  }
}

/** Whether ReadWriteFs still holds `root` as busy (its private static; false if it is gone). */
function rootIsBusy(root: string): boolean {
  const active = (ReadWriteFs as unknown as { activeMutationRoots?: unknown }).activeMutationRoots
  return active instanceof Set && active.has(root)
}

function contentBytes(content: FileContent, options: WriteOptions): number {
  if (typeof content !== 'string') return content.byteLength
  const encoding = typeof options === 'string' ? options : options?.encoding
  return Buffer.byteLength(content, nodeEncoding(encoding))
}

function nodeEncoding(encoding: BufferEncoding | undefined): NodeJS.BufferEncoding {
  switch (encoding) {
    case 'binary':
    case 'latin1':
    case 'ascii':
      return 'latin1'
    case 'base64':
    case 'hex':
      return encoding
    default:
      return 'utf8'
  }
}
