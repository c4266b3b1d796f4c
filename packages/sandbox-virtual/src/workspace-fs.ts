import { PathRefusedError, SandboxFileError } from '@pyflue/core'
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
import { WorkspaceFiles } from './workspace-files.js'
import type { LimitsGate, WorkspaceUsage } from './workspace-limits.js'

/** The largest file a shell command reads at once (just-bash's own default is 10 MiB). */
export const SHELL_MAX_FILE_READ_BYTES = 64 * 1024 * 1024

type DirentEntry = Awaited<ReturnType<NonNullable<IFileSystem['readdirWithFileTypes']>>>[number]
type WriteOptions = Parameters<IFileSystem['writeFile']>[2]
type ReadOptions = Parameters<IFileSystem['readFile']>[1]

/**
 * The file system the shell sees: just-bash's `ReadWriteFs` rooted at the workspace directory
 * with symbolic links off (it refuses `..` above the root, absolute host paths, every path that
 * goes through a link, and `symlink()` itself), plus what the sandbox adds on top:
 * - no links: `ln -s`, `tar -x` of a link entry and every other creator fail with `EPERM`, so the
 *   workspace never holds a link a later move could turn outward;
 * - `readOnly`: every change fails with `EROFS`, so no command can write (policy `allowWrite: false`);
 * - size limits: changes that would pass `maxTotalBytes` or `maxFileCount` fail before they happen;
 * - reads, writes, appends, `mkdir`, `rm`, `stat` and `readdir` go through `WorkspaceFiles` (the
 *   sandbox's own race-safe verbs: pinned parent directories, no link followed, no FIFO opened);
 *   `cp`, `mv`, `chmod`, `utimes`, `link` and `readlink` use ReadWriteFs's path gates, which hold
 *   because no link can appear in the workspace (see the README's Security section);
 * - `lstat('/')` works (ReadWriteFs refuses it, which breaks `find /` and `du /`).
 */
export class WorkspaceFs implements IFileSystem {
  readonly #inner: ReadWriteFs
  readonly #readOnly: boolean
  readonly #limits: LimitsGate
  readonly #root: string
  readonly #files: WorkspaceFiles
  #mutations: Promise<unknown> = Promise.resolve()

  constructor(options: { root: string; readOnly: boolean; limits: LimitsGate }) {
    this.#inner = new ReadWriteFs({
      root: options.root,
      allowSymlinks: false,
      maxFileReadSize: SHELL_MAX_FILE_READ_BYTES,
    })
    this.#readOnly = options.readOnly
    this.#limits = options.limits
    this.#root = options.root
    this.#files = new WorkspaceFiles(options.root, options.limits)
  }

  // Reads: through the sandbox's race-safe verbs, errors in Node's words (commands match on them).
  async readFile(path: string, options?: ReadOptions): Promise<string> {
    const bytes = await this.#read(path)
    const encoding = typeof options === 'string' ? options : options?.encoding
    return bytes.toString(nodeEncoding(encoding ?? undefined))
  }
  async readFileBytes(path: string): Promise<ByteString> {
    return (await this.#read(path)).toString('latin1') as unknown as ByteString
  }
  async readFileBuffer(path: string): Promise<Uint8Array> {
    const bytes = await this.#read(path)
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  async exists(path: string): Promise<boolean> {
    return this.#files.lstat('stat', this.#path(path)).then(
      () => true,
      () => false,
    )
  }
  stat(path: string): Promise<FsStat> {
    return this.#stat(path)
  }
  lstat(path: string): Promise<FsStat> {
    return this.#stat(path)
  }
  readdir(path: string): Promise<string[]> {
    return nodeErrors(() => this.#files.readdir(this.#path(path)))
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
    await this.#mutate(() =>
      nodeErrors(() => this.#files.write(this.#path(path), contentBuffer(content, options))),
    )
  }

  async appendFile(path: string, content: FileContent, options?: WriteOptions): Promise<void> {
    this.#refuseIfReadOnly('append', path)
    await this.#mutate(() =>
      nodeErrors(() => this.#files.append(this.#path(path), contentBuffer(content, options))),
    )
  }

  async mkdir(path: string, options?: MkdirOptions): Promise<void> {
    this.#refuseIfReadOnly('mkdir', path)
    await this.#mutate(() =>
      nodeErrors(() => this.#files.mkdir(this.#path(path), options?.recursive === true)),
    )
  }

  async rm(path: string, options?: RmOptions): Promise<void> {
    this.#refuseIfReadOnly('rm', path)
    await this.#mutate(() =>
      nodeErrors(() =>
        this.#files.rm(this.#path(path), options?.recursive === true, options?.force === true),
      ),
    )
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

  /** Always refused: the workspace never holds a symbolic link (see the README's Security section). */
  async symlink(_target: string, linkPath: string): Promise<void> {
    this.#refuseIfReadOnly('symlink', linkPath)
    throw new Error(
      `EPERM: operation not permitted, symlink '${linkPath}' (this sandbox refuses symbolic links)`,
    )
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

  #path(path: string): string {
    return this.#inner.resolvePath('/', path)
  }

  #read(path: string): Promise<Buffer> {
    return nodeErrors(() => this.#files.readFile('open', this.#path(path), SHELL_MAX_FILE_READ_BYTES))
  }

  async #stat(path: string): Promise<FsStat> {
    const info = await nodeErrors(() => this.#files.lstat('stat', this.#path(path)))
    return {
      isFile: info.isFile(),
      isDirectory: info.isDirectory(),
      isSymbolicLink: false,
      mode: info.mode,
      size: info.size,
      mtime: info.mtime,
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

function contentBuffer(content: FileContent, options: WriteOptions): Uint8Array {
  if (typeof content !== 'string') return content
  const encoding = typeof options === 'string' ? options : options?.encoding
  return Buffer.from(content, nodeEncoding(encoding))
}

/**
 * Runs a sandbox verb for a shell command and rethrows its failure the way Node words it
 * (`ENOENT: no such file or directory, open '/x'`): just-bash's commands match on those words.
 */
async function nodeErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof SandboxFileError) {
      throw Object.assign(new Error(`${error.errno}: ${error.message}`), { code: error.errno })
    }
    if (error instanceof PathRefusedError) {
      throw Object.assign(new Error(`EACCES: permission denied, ${error.message}`), { code: 'EACCES' })
    }
    throw error
  }
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
