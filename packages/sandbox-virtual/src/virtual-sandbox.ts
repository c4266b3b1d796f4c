import type {
  CreateSandboxOptions,
  ExecOptions,
  FileStat,
  HostDirectoryMount,
  HostMountLease,
  ResolvedSandboxPolicy,
  Sandbox,
  SandboxDriver,
  SandboxFactory,
  ShellResult,
} from '@pyflue/core'
import {
  ClosedError,
  createAbortError,
  deadlineOf,
  InvalidArgumentError,
  instrumentSandbox,
  sandboxFromDriver,
  type Telemetry,
  type TelemetrySetting,
  telemetryFrom,
  throwIfAborted,
  WriteRefusedError,
  withSandboxPolicy,
} from '@pyflue/core'
import type { ShellOutcome } from './shell-pool.js'
import { DEFAULT_SHELL_MEMORY_MB, submitShellJob } from './shell-pool.js'
import type { VirtualSandboxNetwork, VirtualSandboxOptions } from './virtual-sandbox-options.js'
import {
  checkVirtualSandboxOptions,
  DEFAULT_MAX_FILE_COUNT,
  DEFAULT_MAX_OUTPUT_SIZE,
  DEFAULT_MAX_TOTAL_BYTES,
} from './virtual-sandbox-options.js'
import type { WorkspaceDirectory } from './workspace-directory.js'
import { createWorkspaceDirectory } from './workspace-directory.js'
import { WorkspaceFiles } from './workspace-files.js'
import { WorkspaceLimits } from './workspace-limits.js'
import { openWorkspaceMounts, workspaceMount } from './workspace-mount-lease.js'
import { checkedSandboxPath } from './workspace-paths.js'

/**
 * A `Sandbox` whose optional members are always there: `hostMounts()` and `openHostMounts()` (the
 * workspace, for an in-process Python backend) and `close()` (deletes the workspace).
 */
export interface VirtualSandbox extends Sandbox {
  hostMounts(): readonly HostDirectoryMount[]
  openHostMounts(): Promise<HostMountLease>
  close(options?: { kill?: boolean }): Promise<void>
}

/** The name of this sandbox in the registry and in `Sandbox.name`. */
export const VIRTUAL_SANDBOX_NAME = 'virtual'

/** The sandbox's `Telemetry` from its `telemetry` option (checked; unknown keys refused). */
function virtualTelemetry(setting: TelemetrySetting | undefined): Telemetry {
  return telemetryFrom(setting, {
    where: 'virtualSandbox options.telemetry',
    scope: '@pyflue/sandbox-virtual',
  })
}

/**
 * Creates a virtual sandbox: a private workspace directory on this host and a just-bash shell
 * over it. With `options.policy` the result is `withSandboxPolicy(sandbox, policy)`, the same call
 * the harness makes for `init({ sandboxPolicy })`, so a policy means the same wherever it is given.
 * With `options.telemetry` it is instrumented (`instrumentSandbox`), policy and all.
 * Throws `InvalidArgumentError` for bad options, `PathRefusedError` for a bad seed path or
 * `cwd`, `SandboxLimitError` when the seed files exceed a limit (nothing is left behind).
 */
export async function createVirtualSandbox(
  options: VirtualSandboxOptions = {},
  init: { signal?: AbortSignal } = {},
): Promise<VirtualSandbox> {
  const checked = checkVirtualSandboxOptions(options)
  const telemetry = virtualTelemetry(checked.telemetry)
  throwIfAborted(init.signal)
  await telemetry.ready
  const cwd = checkedSandboxPath('/', checked.cwd ?? '/')
  const directory = createWorkspaceDirectory(checked.tmpDir)
  try {
    const driver = new WorkspaceDriver(workspaceState(directory, checked), cwd, false)
    await driver.seed(checked.files ?? {})
    throwIfAborted(init.signal)
    const sandbox = sandboxFromDriver(driver, {
      name: VIRTUAL_SANDBOX_NAME,
      cwd,
      checkPath: (path: string) => {
        checkedSandboxPath(cwd, path)
      },
      createsParents: true,
    }) as VirtualSandbox
    const governed = checked.policy ? (withSandboxPolicy(sandbox, checked.policy) as VirtualSandbox) : sandbox
    return instrumentSandbox(governed, telemetry)
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
  // One Telemetry for every sandbox of the factory (one import of @opentelemetry/api for `true`).
  const shared = { ...options, telemetry: virtualTelemetry(options.telemetry) }
  return {
    name: VIRTUAL_SANDBOX_NAME,
    createSandbox: (create: CreateSandboxOptions) =>
      createVirtualSandbox(shared, create.signal ? { signal: create.signal } : {}),
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
  /** Bytes of stdout and of stderr one command may hand back. */
  readonly maxOutputSize: number
  /** The heap of the worker that runs this sandbox's commands, MiB. */
  readonly shellMemoryMb: number
  closed: boolean
}

function workspaceState(directory: WorkspaceDirectory, options: VirtualSandboxOptions): WorkspaceState {
  const maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES
  const maxFileCount = options.maxFileCount ?? DEFAULT_MAX_FILE_COUNT
  const limits = new WorkspaceLimits(directory.root, {
    ...(maxTotalBytes === Number.POSITIVE_INFINITY ? {} : { maxTotalBytes }),
    ...(maxFileCount === Number.POSITIVE_INFINITY ? {} : { maxFileCount }),
  })
  return {
    directory,
    options,
    limits,
    files: new WorkspaceFiles(directory.root, limits),
    running: new Set(),
    maxOutputSize: options.maxOutputSize ?? DEFAULT_MAX_OUTPUT_SIZE,
    shellMemoryMb: options.shellMemoryMb ?? DEFAULT_SHELL_MEMORY_MB,
    closed: false,
  }
}

/**
 * The sandbox's driver, or a read-only view of it (`restrict`); core's `sandboxFromDriver` is the
 * outer `Sandbox` (closed guard, `exec` checks, path resolution). See the package README for
 * every guarantee. A read-only view's shell sees the same files through a file system that
 * refuses every change, and its Python mount is read-only. Paths arrive absolute and normalised.
 */
class WorkspaceDriver implements SandboxDriver {
  readonly cwd: string
  readonly #state: WorkspaceState
  readonly #root: string
  readonly #readOnly: boolean
  readonly #limits: WorkspaceLimits
  readonly #files: WorkspaceFiles

  constructor(state: WorkspaceState, cwd: string, readOnly: boolean) {
    const { directory } = state
    this.#state = state
    this.#root = directory.root
    this.#readOnly = readOnly
    this.cwd = cwd
    this.#limits = state.limits
    this.#files = state.files
  }

  /**
   * The view `withSandboxPolicy` wraps: under `allowWrite: false` the same files read-only for
   * every file verb, shell command and Python run; otherwise this sandbox itself.
   */
  restrict(policy: ResolvedSandboxPolicy): SandboxDriver {
    if (policy.allowWrite || this.#readOnly) return this
    return new WorkspaceDriver(this.#state, this.cwd, true)
  }

  /** Writes the seed files and creates `cwd`. Ignores read-only (the caller's own files). */
  async seed(files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
    await this.#files.mkdir(this.cwd, true)
    for (const [path, content] of Object.entries(files)) {
      await this.#write(checkedSandboxPath(this.cwd, path), content)
    }
  }

  /** `cwd` arrives absolute; `timeoutMs` positive or absent; the wrapper checked the rest. */
  async exec(command: string, options: ExecOptions & { cwd: string }): Promise<ShellResult> {
    this.#assertOpen()
    const { cwd } = options
    if (!(await this.#files.isDirectory(cwd))) {
      throwIfAborted(options.signal)
      return { stdout: '', stderr: `bash: cd: ${cwd}: No such file or directory\n`, exitCode: 1 }
    }
    throwIfAborted(options.signal)
    this.#assertOpen()
    const { signal } = options
    const timeoutMs = deadlineOf(options.timeoutMs)
    const { options: sandboxOptions } = this.#state
    const run = submitShellJob(
      {
        root: this.#root,
        readOnly: this.#readOnly,
        limits: this.#limits.values,
        sandboxCwd: this.cwd,
        cwd,
        command,
        baseEnv: { ...(sandboxOptions.env ?? {}) },
        ...(options.env ? { env: { ...options.env } } : {}),
        python: sandboxOptions.python === true,
        ...(sandboxOptions.network ? { network: copyNetwork(sandboxOptions.network) } : {}),
        maxOutputSize: this.#state.maxOutputSize,
      },
      this.#limits,
      timeoutMs,
      this.#state.shellMemoryMb,
    )
    return new Promise<ShellResult>((resolve, reject) => {
      let settled = false
      const finish = (settle: () => void) => {
        if (settled) return
        settled = true
        signal?.removeEventListener('abort', onAbort)
        this.#state.running.delete(running)
        settle()
      }
      const onAbort = () => {
        run.stop()
        finish(() => reject(createAbortError(signal)))
      }
      const running: RunningExec = {
        close: () => {
          run.stop()
          finish(() => reject(new ClosedError('sandbox')))
        },
      }
      this.#state.running.add(running)
      signal?.addEventListener('abort', onAbort, { once: true })
      void run.outcome.then((outcome) =>
        finish(() => resolve(shellResult(outcome, timeoutMs, this.#state.shellMemoryMb))),
      )
    })
  }

  async readFile(path: string): Promise<string> {
    this.#assertOpen()
    return (await this.#files.readFile('readFile', path)).toString('utf8')
  }

  async readFileBuffer(path: string): Promise<Uint8Array> {
    this.#assertOpen()
    const bytes = await this.#files.readFile('readFileBuffer', path)
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  async writeFile(path: string, content: string | Uint8Array): Promise<void> {
    this.#assertOpen()
    this.#refuseIfReadOnly('writeFile', path)
    await this.#write(path, content)
  }

  async stat(path: string): Promise<FileStat> {
    this.#assertOpen()
    return this.#files.stat(path)
  }

  async readdir(path: string): Promise<string[]> {
    this.#assertOpen()
    return this.#files.readdir(path)
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.stat(path)
      return true
    } catch {
      return false
    }
  }

  async mkdir(path: string, options: { recursive: boolean }): Promise<void> {
    this.#assertOpen()
    this.#refuseIfReadOnly('mkdir', path)
    await this.#files.mkdir(path, options.recursive)
  }

  async rm(path: string, options: { recursive: boolean; force: boolean }): Promise<void> {
    this.#assertOpen()
    this.#refuseIfReadOnly('rm', path)
    await this.#files.rm(path, options.recursive, options.force)
  }

  /**
   * The workspace as one mount, for an in-process Python backend, which writes straight to the
   * directory: with `maxTotalBytes` a run may write what remains (`writeBytesLimit`), and a
   * workspace at its `maxFileCount` is mounted read-only. It changes nothing: the budget comes from
   * the cached usage, or from a synchronous measuring walk that is not kept. `[]` once closed.
   */
  hostMounts(): readonly HostDirectoryMount[] {
    if (this.#state.closed) return []
    return [
      workspaceMount(this.#root, this.#readOnly, this.#limits.active ? this.#limits.budgetNow() : undefined),
    ]
  }

  /**
   * The mount lifecycle (`workspace-mount-lease.ts`): the mount of one Python run, measured
   * without blocking, and the `release()` that charges what the run wrote and refuses a run that
   * left the workspace over `maxFileCount` (removing what it created).
   */
  openHostMounts(): Promise<HostMountLease> {
    if (this.#state.closed) return Promise.resolve({ mounts: [], release: async () => {} })
    return openWorkspaceMounts(this.#root, this.#readOnly, this.#limits, this.#files)
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
    await this.#files.write(path, content)
  }

  #refuseIfReadOnly(operation: string, path: string): void {
    if (this.#readOnly) throw new WriteRefusedError({ operation, path })
  }

  #assertOpen(): void {
    if (this.#state.closed) throw new ClosedError('sandbox')
  }
}

/** The `ShellResult` of a pool outcome: a deadline is exit 124, the memory cap exit 137, both noted on stderr. */
function shellResult(outcome: ShellOutcome, timeoutMs: number | undefined, memoryMb: number): ShellResult {
  const timeoutNote = `exec: timed out after ${timeoutMs} ms (timeoutMs); the command was stopped.\n`
  switch (outcome.kind) {
    case 'done': {
      const { result } = outcome
      return outcome.timedOut
        ? { stdout: result.stdout, stderr: `${result.stderr}${timeoutNote}`, exitCode: 124 }
        : result
    }
    case 'killed-at-deadline':
      return { stdout: '', stderr: timeoutNote, exitCode: 124 }
    case 'out-of-memory':
      return {
        stdout: '',
        stderr: `exec: the command used more than the shell's ${memoryMb} MiB (shellMemoryMb) of memory and was stopped.\n`,
        exitCode: 137,
      }
    case 'crashed':
      return {
        stdout: '',
        stderr: `bash: the shell stopped unexpectedly (${outcome.message}).\n`,
        exitCode: 1,
      }
  }
}

function copyNetwork(network: VirtualSandboxNetwork): VirtualSandboxNetwork {
  return {
    allowedUrlPrefixes: [...network.allowedUrlPrefixes],
    ...(network.allowedMethods ? { allowedMethods: [...network.allowedMethods] } : {}),
    ...(network.denyPrivateRanges ? { denyPrivateRanges: true } : {}),
  }
}
