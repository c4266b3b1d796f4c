import type {
  CreateSandboxOptions,
  ExecOptions,
  FileStat,
  HostDirectoryMount,
  ResolvedSandboxPolicy,
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
  SANDBOX_CONTRACT_VERSION,
  throwIfAborted,
  WriteRefusedError,
  withSandboxPolicy,
} from '@pyflue/core'
import { Bash, type BashOptions } from 'just-bash'
import type { VirtualSandboxOptions } from './virtual-sandbox-options.js'
import { checkEnv, checkVirtualSandboxOptions } from './virtual-sandbox-options.js'
import type { WorkspaceDirectory } from './workspace-directory.js'
import { createWorkspaceDirectory } from './workspace-directory.js'
import { WorkspaceFiles } from './workspace-files.js'
import { WorkspaceFs } from './workspace-fs.js'
import { WorkspaceLimits } from './workspace-limits.js'
import { checkedSandboxPath } from './workspace-paths.js'

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
 * over it. With `options.policy` the result is `withSandboxPolicy(sandbox, policy)`, the same call
 * the harness makes for `init({ sandboxPolicy })`, so a policy means the same wherever it is given.
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
  const directory = createWorkspaceDirectory(checked.tmpDir)
  try {
    const sandbox = new WorkspaceSandbox(workspaceState(directory, checked), cwd, false)
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

/** What a sandbox and its restricted views share: the files, their limits, the lifetime. */
interface WorkspaceState {
  readonly directory: WorkspaceDirectory
  readonly options: VirtualSandboxOptions
  readonly limits: WorkspaceLimits
  readonly files: WorkspaceFiles
  readonly running: Set<RunningExec>
  closed: boolean
}

function workspaceState(directory: WorkspaceDirectory, options: VirtualSandboxOptions): WorkspaceState {
  const limits = new WorkspaceLimits(directory.root, {
    ...(options.maxTotalBytes === undefined ? {} : { maxTotalBytes: options.maxTotalBytes }),
    ...(options.maxFileCount === undefined ? {} : { maxFileCount: options.maxFileCount }),
  })
  return {
    directory,
    options,
    limits,
    files: new WorkspaceFiles(directory.root, limits),
    running: new Set(),
    closed: false,
  }
}

/**
 * The sandbox itself, or a read-only view of it (`restrict`); see the package README for every
 * guarantee. A read-only view's shell sees the same files through a file system that refuses
 * every change, and its Python mount is read-only.
 */
class WorkspaceSandbox implements VirtualSandbox {
  readonly name = VIRTUAL_SANDBOX_NAME
  readonly contractVersion = SANDBOX_CONTRACT_VERSION
  readonly cwd: string
  readonly #state: WorkspaceState
  readonly #root: string
  readonly #readOnly: boolean
  readonly #limits: WorkspaceLimits
  readonly #files: WorkspaceFiles
  readonly #bashOptions: BashOptions
  readonly #bash: Bash

  constructor(state: WorkspaceState, cwd: string, readOnly: boolean) {
    const { directory, options } = state
    this.#state = state
    this.#root = directory.root
    this.#readOnly = readOnly
    this.cwd = cwd
    this.#limits = state.limits
    this.#files = state.files
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

  /**
   * The view `withSandboxPolicy` wraps: under `allowWrite: false` the same files read-only for
   * every file verb, shell command and Python run; otherwise this sandbox itself.
   */
  restrict(policy: ResolvedSandboxPolicy): Sandbox {
    if (policy.allowWrite || this.#readOnly) return this
    return new WorkspaceSandbox(this.#state, this.cwd, true)
  }

  /** Writes the seed files and creates `cwd`. Ignores read-only (the caller's own files). */
  async seed(files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
    await this.#files.mkdir(this.cwd, true)
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
    if (!(await this.#files.isDirectory(cwd))) {
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
        this.#state.running.delete(running)
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
      this.#state.running.add(running)
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
    return (await this.#files.readFile('readFile', this.#target(path))).toString('utf8')
  }

  async readFileBuffer(path: string): Promise<Uint8Array> {
    const bytes = await this.#files.readFile('readFileBuffer', this.#target(path))
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  async writeFile(path: string, content: string | Uint8Array): Promise<void> {
    this.#assertOpen()
    this.#refuseIfReadOnly('writeFile', path)
    await this.#write(path, content)
  }

  async stat(path: string): Promise<FileStat> {
    return this.#files.stat(this.#target(path))
  }

  async readdir(path: string): Promise<string[]> {
    return this.#files.readdir(this.#target(path))
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
    this.#refuseIfReadOnly('mkdir', path)
    await this.#files.mkdir(this.#target(path), options.recursive === true)
  }

  async rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    this.#refuseIfReadOnly('rm', path)
    await this.#files.rm(this.#target(path), options.recursive === true, options.force === true)
  }

  /**
   * The workspace as one mount. The backend asks before every run, and Python then writes straight
   * to the directory: with a size limit the workspace is measured here (so what earlier runs wrote
   * is charged before this one starts), the run may write only what remains, and a workspace at its
   * `maxFileCount` is mounted read-only. The next checked change measures again.
   */
  hostMounts(): readonly HostDirectoryMount[] {
    if (this.#state.closed) return []
    const budget = this.#limits.active ? this.#limits.measureNow() : undefined
    this.#limits.invalidate()
    const readOnly = this.#readOnly || budget?.full === true
    return [
      {
        sandboxPath: '/',
        hostDir: this.#root,
        mode: readOnly ? 'read-only' : 'read-write',
        ...(budget?.remainingBytes === undefined || readOnly
          ? {}
          : { writeBytesLimit: budget.remainingBytes }),
      },
    ]
  }

  async close(): Promise<void> {
    if (this.#state.closed) return
    this.#state.closed = true
    for (const running of [...this.#state.running]) running.close()
    this.#state.directory.remove()
  }

  // ---------------------------------------------------------------------------------------------

  async #write(path: string, content: string | Uint8Array): Promise<void> {
    if (typeof content !== 'string' && !(content instanceof Uint8Array)) {
      throw new InvalidArgumentError('content', 'writeFile needs the content as a string or a Uint8Array.')
    }
    await this.#files.write(this.#target(path), content)
  }

  /** Checks a caller's path (the sandbox must be open) and resolves it against `cwd`. */
  #target(path: string): string {
    this.#assertOpen()
    return checkedSandboxPath(this.cwd, path)
  }

  #refuseIfReadOnly(operation: string, path: string): void {
    if (this.#readOnly) throw new WriteRefusedError({ operation, path: this.resolvePath(path) })
  }

  #assertOpen(): void {
    if (this.#state.closed) throw new ClosedError('sandbox')
  }
}

/** A short message for an error the shell library threw instead of reporting (no host paths). */
function shellErrorMessage(error: unknown): string {
  if (isPyFlueError(error)) return error.message
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0] ?? 'internal error'
}
