import { randomBytes } from 'node:crypto'
import type { Stats } from 'node:fs'
import { chmod, lstat, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type {
  CreateSandboxOptions,
  ExecOptions,
  FileStat,
  HostDirectoryMount,
  Sandbox,
  SandboxFactory,
  ShellResult,
} from '@pyflue/core'
import {
  ClosedError,
  createAbortError,
  EXEC_OPTION_KEYS,
  InvalidArgumentError,
  isPyFlueError,
  refuseUnknownKeys,
  resolveSandboxPath,
  resolveSandboxPolicy,
  SANDBOX_CONTRACT_VERSION,
  SandboxFileError,
  throwIfAborted,
  toSandboxFileError,
  withSandboxPolicy,
} from '@pyflue/core'
import { Bash, type BashOptions } from 'just-bash'
import type { VirtualSandboxOptions } from './virtual-sandbox-options.js'
import { checkEnv, checkVirtualSandboxOptions } from './virtual-sandbox-options.js'
import type { WorkspaceDirectory } from './workspace-directory.js'
import { createWorkspaceDirectory } from './workspace-directory.js'
import { WorkspaceFs } from './workspace-fs.js'
import { WorkspaceLimits } from './workspace-limits.js'
import { checkedSandboxPath, hostPathFor } from './workspace-paths.js'

/**
 * A `Sandbox` whose optional members are always there: `hostMounts()` (the workspace, for an
 * in-process Python backend) and `close()` (deletes the workspace).
 */
export interface VirtualSandbox extends Sandbox {
  hostMounts(): readonly HostDirectoryMount[]
  close(options?: { kill?: boolean }): Promise<void>
}

/** The name of this sandbox in the registry and in `Sandbox.name`. */
export const VIRTUAL_SANDBOX_NAME = 'virtual'

/** How much later than `timeoutMs` the interpreter's own deadline falls (see `exec`). */
const INTERPRETER_DEADLINE_GRACE_MS = 50

/** After a timeout, how long `exec` waits for the stopped command's partial output. */
const TIMEOUT_GRACE_MS = 100

/**
 * Creates a virtual sandbox: a private workspace directory on this host and a just-bash shell
 * over it. With `options.policy` the result is wrapped by `withSandboxPolicy`.
 * Throws `InvalidArgumentError` for bad options, `PathRefusedError` for a bad seed path or
 * `cwd`, `SandboxLimitError` when the seed files exceed a limit (nothing is left behind).
 */
export async function createVirtualSandbox(
  options: VirtualSandboxOptions = {},
  init: { signal?: AbortSignal } = {},
): Promise<VirtualSandbox> {
  const checked = checkVirtualSandboxOptions(options)
  throwIfAborted(init.signal)
  const cwd = checkedSandboxPath('/', checked.cwd ?? '/')
  const readOnly = checked.policy !== undefined && !resolveSandboxPolicy(checked.policy).allowWrite
  const directory = createWorkspaceDirectory(checked.tmpDir)
  try {
    const sandbox = new WorkspaceSandbox(directory, checked, cwd, readOnly)
    await sandbox.seed(checked.files ?? {})
    throwIfAborted(init.signal)
    return checked.policy ? (withSandboxPolicy(sandbox, checked.policy) as VirtualSandbox) : sandbox
  } catch (error) {
    directory.remove()
    throw error
  }
}

/**
 * The factory the registry resolves for the name `'virtual'`. Every `createSandbox` makes a new,
 * empty-but-seeded workspace (a virtual sandbox cannot be reconnected to; the session `id` is
 * not used).
 */
export function virtualSandbox(options: VirtualSandboxOptions = {}): SandboxFactory {
  checkVirtualSandboxOptions(options)
  return {
    name: VIRTUAL_SANDBOX_NAME,
    createSandbox: (create: CreateSandboxOptions) =>
      createVirtualSandbox(options, create.signal ? { signal: create.signal } : {}),
  }
}

interface RunningExec {
  close(): void
}

/** The sandbox itself; see the package README for every guarantee. */
class WorkspaceSandbox implements VirtualSandbox {
  readonly name = VIRTUAL_SANDBOX_NAME
  readonly contractVersion = SANDBOX_CONTRACT_VERSION
  readonly cwd: string
  readonly #directory: WorkspaceDirectory
  readonly #root: string
  readonly #readOnly: boolean
  readonly #limits: WorkspaceLimits
  readonly #bashOptions: BashOptions
  readonly #bash: Bash
  readonly #running = new Set<RunningExec>()
  #closed = false

  constructor(directory: WorkspaceDirectory, options: VirtualSandboxOptions, cwd: string, readOnly: boolean) {
    this.#directory = directory
    this.#root = directory.root
    this.#readOnly = readOnly
    this.cwd = cwd
    this.#limits = new WorkspaceLimits(directory.root, {
      ...(options.maxTotalBytes === undefined ? {} : { maxTotalBytes: options.maxTotalBytes }),
      ...(options.maxFileCount === undefined ? {} : { maxFileCount: options.maxFileCount }),
    })
    this.#bashOptions = {
      fs: new WorkspaceFs({ root: directory.root, readOnly, limits: this.#limits }),
      cwd,
      env: { ...(options.env ?? {}) },
      python: options.python === true,
      ...(options.network
        ? {
            network: {
              allowedUrlPrefixes: [...options.network.allowedUrlPrefixes],
              ...(options.network.allowedMethods
                ? { allowedMethods: [...options.network.allowedMethods] }
                : {}),
              ...(options.network.denyPrivateRanges ? { denyPrivateRanges: true } : {}),
            },
          }
        : {}),
    }
    this.#bash = new Bash(this.#bashOptions)
  }

  /** Writes the seed files and creates `cwd`. Ignores read-only (the caller's own files). */
  async seed(files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
    await this.#mkdirs(this.cwd)
    for (const [path, content] of Object.entries(files)) await this.#write(path, content)
  }

  resolvePath(path: string): string {
    return resolveSandboxPath(this.cwd, path)
  }

  exec(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    try {
      this.#assertOpen()
      refuseUnknownKeys(options, EXEC_OPTION_KEYS, 'exec options')
      throwIfAborted(options.signal)
      if (typeof command !== 'string') {
        throw new InvalidArgumentError('command', 'exec needs the command line as a string.')
      }
      checkEnv(options.env, 'env')
      const { timeoutMs } = options
      if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
        throw new InvalidArgumentError(
          'timeoutMs',
          'timeoutMs must be a non-negative number of milliseconds.',
        )
      }
      const cwd = checkedSandboxPath(this.cwd, options.cwd ?? this.cwd)
      return this.#run(command, cwd, options)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  async #run(command: string, cwd: string, options: ExecOptions): Promise<ShellResult> {
    const cwdStat = await this.#statFollow(cwd).catch(() => undefined)
    if (!cwdStat?.isDirectory()) {
      throwIfAborted(options.signal)
      return { stdout: '', stderr: `bash: cd: ${cwd}: No such file or directory\n`, exitCode: 1 }
    }
    throwIfAborted(options.signal)
    this.#assertOpen()
    const { signal, timeoutMs } = options
    const controller = new AbortController()
    return new Promise<ShellResult>((resolve, reject) => {
      let settled = false
      let timedOut = false
      let timer: ReturnType<typeof setTimeout> | undefined
      let graceTimer: ReturnType<typeof setTimeout> | undefined
      const note = `exec: timed out after ${timeoutMs} ms (timeoutMs); the command was stopped.\n`
      const finish = (settle: () => void) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        clearTimeout(graceTimer)
        signal?.removeEventListener('abort', onAbort)
        this.#running.delete(running)
        settle()
      }
      const onAbort = () => {
        controller.abort(signal?.reason)
        finish(() => reject(createAbortError(signal)))
      }
      const running: RunningExec = {
        close: () => {
          controller.abort(new ClosedError('sandbox'))
          finish(() => reject(new ClosedError('sandbox')))
        },
      }
      this.#running.add(running)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true
          controller.abort(new Error(note))
          graceTimer = setTimeout(
            () => finish(() => resolve({ stdout: '', stderr: note, exitCode: 124 })),
            TIMEOUT_GRACE_MS,
          )
        }, timeoutMs)
      }
      // A shell loop that never awaits blocks timers, so the timer above cannot end it: a run with
      // a deadline gets its own interpreter whose deadline just-bash checks between statements.
      // It is a little later than the timer, which ends every command that lets timers run.
      const bash =
        timeoutMs === undefined
          ? this.#bash
          : new Bash({
              ...this.#bashOptions,
              executionLimits: { maxExecutionTimeMs: Math.ceil(timeoutMs) + INTERPRETER_DEADLINE_GRACE_MS },
            })
      bash
        .exec(command, {
          cwd,
          ...(options.env ? { env: { ...options.env } } : {}),
          signal: controller.signal,
          rawScript: true,
        })
        .then(
          (result) =>
            finish(() =>
              resolve(
                timedOut || (result.exitCode === 124 && result.stderr.includes('execution deadline'))
                  ? { stdout: result.stdout, stderr: `${result.stderr}${note}`, exitCode: 124 }
                  : { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode },
              ),
            ),
          (error: unknown) =>
            finish(() =>
              resolve(
                timedOut
                  ? { stdout: '', stderr: note, exitCode: 124 }
                  : { stdout: '', stderr: `bash: ${shellErrorMessage(error)}\n`, exitCode: 1 },
              ),
            ),
        )
    })
  }

  async readFile(path: string): Promise<string> {
    const { target, host } = await this.#locate('readFile', path, true)
    return this.#fileOp('readFile', target, () => readFile(host, 'utf8'))
  }

  async readFileBuffer(path: string): Promise<Uint8Array> {
    const { target, host } = await this.#locate('readFileBuffer', path, true)
    const bytes = await this.#fileOp('readFileBuffer', target, () => readFile(host))
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  async writeFile(path: string, content: string | Uint8Array): Promise<void> {
    this.#assertOpen()
    await this.#write(path, content)
  }

  async stat(path: string): Promise<FileStat> {
    const { target, host } = await this.#locate('stat', path, false)
    const link = await this.#fileOp('stat', target, () => lstat(host))
    const info = link.isSymbolicLink()
      ? await this.#fileOp('stat', target, async () => stat(await this.#hostPath('stat', target, true)))
      : link
    return {
      isFile: info.isFile(),
      isDirectory: info.isDirectory(),
      isSymbolicLink: link.isSymbolicLink(),
      size: info.size,
      mtime: info.mtime,
    }
  }

  async readdir(path: string): Promise<string[]> {
    const { target, host } = await this.#locate('readdir', path, true)
    const names = await this.#fileOp('readdir', target, () => readdir(host))
    return names.sort()
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.stat(path)
      return true
    } catch {
      return false
    }
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const recursive = options.recursive === true
    const { target, host } = await this.#locate('mkdir', path, recursive)
    const existing = await lstat(host).catch(() => undefined)
    if (existing) {
      const isDirectory = existing.isDirectory() || (recursive && (await this.#isDirectoryLink(target)))
      if (recursive && isDirectory) return
      throw new SandboxFileError({ errno: 'EEXIST', path: target, operation: 'mkdir' })
    }
    const missing = recursive ? await this.#missingAncestors(host) : 0
    await this.#limits.reserve(
      async () => ({ bytes: 0, entries: 1 + missing }),
      () =>
        this.#fileOp('mkdir', target, async () => {
          try {
            await mkdir(host, { recursive })
          } catch (error) {
            // A file where a directory should be: with `recursive` the contract says EEXIST.
            if (recursive && (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
              throw new SandboxFileError({ errno: 'EEXIST', path: target, operation: 'mkdir' })
            }
            throw error
          }
        }),
    )
  }

  async rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    const { target, host } = await this.#locate('rm', path, false)
    const recursive = options.recursive === true
    const force = options.force === true
    try {
      if (target === '/') {
        // The workspace root itself stays: `rm('/', { recursive: true })` empties it.
        if (!recursive) throw new SandboxFileError({ errno: 'EISDIR', path: target, operation: 'rm' })
        for (const name of await readdir(host)) {
          await this.#fileOp('rm', target, () => rm(join(host, name), { recursive: true, force: true }))
        }
        return
      }
      await this.#fileOp('rm', target, () => rm(host, { recursive, force }))
    } finally {
      this.#limits.invalidate()
    }
  }

  hostMounts(): readonly HostDirectoryMount[] {
    if (this.#closed) return []
    const remaining = this.#limits.remainingBytes()
    // The backend asks before every run, and Python then writes straight to the directory:
    // the next checked change measures the workspace again.
    this.#limits.invalidate()
    return [
      {
        sandboxPath: '/',
        hostDir: this.#root,
        mode: this.#readOnly ? 'read-only' : 'read-write',
        ...(remaining === undefined || this.#readOnly ? {} : { writeBytesLimit: remaining }),
      },
    ]
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const running of [...this.#running]) running.close()
    this.#directory.remove()
  }

  // ---------------------------------------------------------------------------------------------

  async #write(path: string, content: string | Uint8Array): Promise<void> {
    if (typeof content !== 'string' && !(content instanceof Uint8Array)) {
      throw new InvalidArgumentError('content', 'writeFile needs the content as a string or a Uint8Array.')
    }
    const { target, host } = await this.#locate('writeFile', path, true)
    if (target === '/') throw new SandboxFileError({ errno: 'EISDIR', path: target, operation: 'writeFile' })
    const existing = await stat(host).catch(() => undefined)
    if (existing?.isDirectory()) {
      throw new SandboxFileError({ errno: 'EISDIR', path: target, operation: 'writeFile' })
    }
    const size = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength
    const missing = existing ? 0 : await this.#missingAncestors(host)
    await this.#limits.reserve(
      async () => ({
        bytes: size - (existing?.isFile() ? existing.size : 0),
        entries: existing ? 0 : 1 + missing,
      }),
      () =>
        this.#fileOp('writeFile', target, async () => {
          if (missing > 0) await mkdir(dirname(host), { recursive: true })
          await writeAtomically(host, content, existing?.isFile() ? existing.mode & 0o7777 : undefined)
        }),
    )
  }

  async #mkdirs(path: string): Promise<void> {
    const host = await this.#hostPath('mkdir', path, true)
    const missing = await this.#missingAncestors(host)
    const exists = await stat(host).catch(() => undefined)
    if (exists?.isDirectory()) return
    await this.#limits.reserve(
      async () => ({ bytes: 0, entries: missing + 1 }),
      () => this.#fileOp('mkdir', path, () => mkdir(host, { recursive: true })),
    )
  }

  /** Resolves a caller's path: checks it, then maps it to the host without leaving the root. */
  async #locate(operation: string, path: string, followFinal: boolean) {
    this.#assertOpen()
    const target = checkedSandboxPath(this.cwd, path)
    return { target, host: await this.#hostPath(operation, target, followFinal) }
  }

  #hostPath(operation: string, target: string, followFinal: boolean): Promise<string> {
    return hostPathFor(this.#root, target, { followFinal, operation })
  }

  async #statFollow(target: string): Promise<Stats> {
    return stat(await this.#hostPath('stat', target, true))
  }

  async #isDirectoryLink(target: string): Promise<boolean> {
    return (await this.#statFollow(target).catch(() => undefined))?.isDirectory() === true
  }

  /** How many ancestors of the host path `host` are missing (a write would create them). */
  async #missingAncestors(host: string): Promise<number> {
    let missing = 0
    let current = dirname(host)
    while (current.length > this.#root.length) {
      if (
        await lstat(current).then(
          () => true,
          () => false,
        )
      )
        break
      missing++
      current = dirname(current)
    }
    return missing
  }

  /** Runs a Node file-system call and turns its failure into a `SandboxFileError` (no host paths). */
  async #fileOp<T>(operation: string, target: string, run: () => Promise<T>): Promise<T> {
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

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('sandbox')
  }
}

/**
 * Writes `content` to a temporary file beside `host`, then renames it over `host`: a failed
 * write leaves the old file whole, and a file that shares its inode with another name (a hard
 * link) is replaced rather than changed in place, so the write cannot reach the other name.
 */
async function writeAtomically(host: string, content: string | Uint8Array, mode: number | undefined) {
  const temporary = join(dirname(host), `.pyflue-${randomBytes(8).toString('hex')}.tmp`)
  try {
    await writeFile(temporary, content, { flag: 'wx', ...(mode === undefined ? {} : { mode }) })
    if (mode !== undefined) await chmod(temporary, mode)
    await rename(temporary, host)
  } catch (error) {
    await unlink(temporary).catch(() => {})
    throw error
  }
}

/** A short message for an error the shell library threw instead of reporting (no host paths). */
function shellErrorMessage(error: unknown): string {
  if (isPyFlueError(error)) return error.message
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0] ?? 'internal error'
}
