import { raceAbort, throwIfAborted } from './abort.js'
import { ClosedError, InvalidArgumentError } from './errors/pyflue-error.js'
import { PathRefusedError, SandboxFileError } from './errors/sandbox-errors.js'
import { deadlineOf } from './exec-timeout.js'
import { refuseUnknownKeys } from './option-keys.js'
import { parentPath, resolveSandboxPath } from './paths.js'
import { isSandboxFileErrno } from './provider-failures.js'
import type {
  ExecOptions,
  FileStat,
  HostDirectoryMount,
  HostMountLease,
  Sandbox,
  ShellResult,
} from './sandbox.js'
import { EXEC_OPTION_KEYS, SANDBOX_CONTRACT_VERSION } from './sandbox.js'
import type { ResolvedSandboxPolicy } from './sandbox-policy.js'

/**
 * The smaller surface a provider adapter implements; `sandboxFromDriver` turns it into a full
 * `Sandbox`. Paths arrive absolute and normalised, never after `close()`; `exec` gets a string
 * command, an `env` of strings, and a `timeoutMs` that is a positive finite number or absent
 * (no deadline: `0` and `Infinity` arrive as absent). Errors for missing paths and wrong kinds
 * should be `SandboxFileError`s (or carry a Node-style `code` such as `'ENOENT'`, which the
 * wrapper converts).
 */
export interface SandboxDriver {
  exec(command: string, options: ExecOptions & { cwd: string }): Promise<ShellResult>
  readFile(path: string): Promise<string>
  readFileBuffer(path: string): Promise<Uint8Array>
  /** May fail when the parent is missing: the wrapper then creates it and retries once. */
  writeFile(path: string, content: string | Uint8Array): Promise<void>
  stat(path: string): Promise<FileStat>
  readdir(path: string): Promise<string[]>
  exists(path: string): Promise<boolean>
  mkdir(path: string, options: { recursive: boolean }): Promise<void>
  rm(path: string, options: { recursive: boolean; force: boolean }): Promise<void>
  hostMounts?(): readonly HostDirectoryMount[]
  /** The mount lifecycle of `Sandbox.openHostMounts` (never called after `close()`). */
  openHostMounts?(): Promise<HostMountLease>
  /**
   * A driver over the same files and lifetime that enforces `policy` inside (see
   * `Sandbox.restrict`); returning this driver itself means nothing to add. The wrapper's
   * `restrict` wraps the view; closing either closes both.
   */
  restrict?(policy: ResolvedSandboxPolicy): SandboxDriver
  close?(options?: { kill?: boolean }): Promise<void>
}

/** Options of `sandboxFromDriver`. */
export interface SandboxFromDriverOptions {
  /** The sandbox name, e.g. `'e2b'`. */
  name: string
  /** The working directory, absolute. */
  cwd: string
  /** The provider's id of the sandbox. */
  id?: string
  /**
   * Called when a command whose caller was released by an abort settles later (the provider
   * could not cancel it in time). Its outcome is otherwise discarded.
   */
  onOrphanSettled?: (settlement: { command: string; result?: ShellResult; error?: unknown }) => void
  /**
   * Refuses a path (a file verb's or `exec`'s `cwd`) the driver cannot take, before it is
   * resolved: throw a `PathRefusedError`. The wrapper itself refuses non-strings and NUL bytes.
   */
  checkPath?: (path: string) => void
  /**
   * The driver's `writeFile` creates missing parents itself (and fails as a whole), so the
   * wrapper never retries after creating them. Default `false`.
   */
  createsParents?: boolean
}

/**
 * Builds a contract-conforming `Sandbox` from a driver. It supplies, for every driver alike:
 * - the closed guard: after `close()` every verb rejects with `ClosedError` (`exists` resolves
 *   `false`, `hostMounts()` returns `[]`, `openHostMounts()` resolves a lease with no mounts),
 *   and a second `close()` is a no-op;
 * - the checks of `exec`: unknown option keys, a non-string command or a bad `env`
 *   (`InvalidArgumentError`), the `timeoutMs` domain of `deadlineOf` (`0` and `Infinity`: no
 *   deadline), an already-aborted signal (rejects before the driver runs anything);
 * - path resolution against `cwd`, and the refusal of a path with a NUL byte (`PathRefusedError`,
 *   `reason: 'invalid'`) or of a non-string path (`InvalidArgumentError`);
 * - the `writeFile` parent guarantee, sorted `readdir`, an `exists` that never throws, and
 *   Node-style error codes turned into `SandboxFileError`;
 * - the abort race of `exec` (an aborted caller is released at once; the driver's later outcome
 *   goes to `onOrphanSettled`).
 */
export function sandboxFromDriver(driver: SandboxDriver, options: SandboxFromDriverOptions): Sandbox {
  return wrapDriver(driver, options, { closed: false })
}

/** The wrapper over `driver`; views made by `restrict` share `lifetime` with their base. */
function wrapDriver(
  driver: SandboxDriver,
  options: SandboxFromDriverOptions,
  lifetime: { closed: boolean },
): Sandbox {
  const cwd = resolveSandboxPath('/', options.cwd)
  const assertOpen = () => {
    if (lifetime.closed) throw new ClosedError('sandbox')
  }
  const resolvePath = (path: string) => {
    const checked = checkedPath(path)
    options.checkPath?.(checked)
    return resolveSandboxPath(cwd, checked)
  }
  /** Checks that the sandbox is open and the path acceptable, then runs the verb with its errors mapped. */
  const verb = async <T>(
    operation: string,
    path: string,
    run: (target: string) => Promise<T>,
  ): Promise<T> => {
    assertOpen()
    const target = resolvePath(path)
    try {
      return await run(target)
    } catch (error) {
      throw toSandboxFileError(error, operation, target)
    }
  }

  const sandbox: Sandbox = {
    name: options.name,
    contractVersion: SANDBOX_CONTRACT_VERSION,
    ...(options.id === undefined ? {} : { id: options.id }),
    cwd,
    resolvePath: (path) => resolveSandboxPath(cwd, path),
    async exec(command, execOptions = {}) {
      assertOpen()
      refuseUnknownKeys(execOptions, EXEC_OPTION_KEYS, 'exec options')
      if (typeof command !== 'string') {
        throw new InvalidArgumentError('command', 'exec needs the command line as a string.')
      }
      checkExecEnv(execOptions.env)
      const timeoutMs = deadlineOf(execOptions.timeoutMs)
      throwIfAborted(execOptions.signal)
      const { timeoutMs: _given, ...rest } = execOptions
      const run = driver.exec(command, {
        ...rest,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        cwd: execOptions.cwd === undefined ? cwd : resolvePath(execOptions.cwd),
      })
      if (!execOptions.signal) return run
      const signal = execOptions.signal
      return raceAbort(run, signal).catch((error: unknown) => {
        if (signal.aborted && options.onOrphanSettled) {
          run.then(
            (result) => options.onOrphanSettled?.({ command, result }),
            (orphanError: unknown) => options.onOrphanSettled?.({ command, error: orphanError }),
          )
        }
        throw error
      })
    },
    readFile: (path) => verb('readFile', path, (target) => driver.readFile(target)),
    readFileBuffer: (path) => verb('readFileBuffer', path, (target) => driver.readFileBuffer(target)),
    writeFile: (path, content) =>
      verb('writeFile', path, async (target) => {
        if (options.createsParents) return driver.writeFile(target, content)
        try {
          await driver.writeFile(target, content)
        } catch (first) {
          const parent = parentPath(target)
          if (await driver.exists(parent).catch(() => false)) throw first
          await driver.mkdir(parent, { recursive: true })
          await driver.writeFile(target, content)
        }
      }),
    stat: (path) => verb('stat', path, (target) => driver.stat(target)),
    readdir: (path) => verb('readdir', path, async (target) => (await driver.readdir(target)).sort()),
    async exists(path) {
      try {
        assertOpen()
        return await driver.exists(resolvePath(path))
      } catch {
        return false
      }
    },
    mkdir: (path, mkdirOptions) =>
      verb('mkdir', path, (target) => driver.mkdir(target, { recursive: mkdirOptions?.recursive ?? false })),
    rm: (path, rmOptions) =>
      verb('rm', path, (target) =>
        driver.rm(target, { recursive: rmOptions?.recursive ?? false, force: rmOptions?.force ?? false }),
      ),
    async close(closeOptions) {
      if (lifetime.closed) return
      lifetime.closed = true
      await driver.close?.(closeOptions)
    },
  }
  if (driver.hostMounts) sandbox.hostMounts = () => (lifetime.closed ? [] : driver.hostMounts!())
  if (driver.openHostMounts) {
    sandbox.openHostMounts = async () =>
      lifetime.closed ? { mounts: [], release: async () => {} } : driver.openHostMounts!()
  }
  if (driver.restrict) {
    sandbox.restrict = (policy) => {
      const view = driver.restrict!(policy)
      return view === driver ? sandbox : wrapDriver(view, options, lifetime)
    }
  }
  return sandbox
}

/** A path a caller handed over: a string without NUL bytes. */
function checkedPath(path: unknown): string {
  if (typeof path !== 'string') {
    throw new InvalidArgumentError('path', `A sandbox path must be a string: got ${typeof path}.`)
  }
  if (path.includes('\0')) {
    throw new PathRefusedError({
      path: path.replace(/\0/g, '\\0'),
      reason: 'invalid',
      message: 'Path refused: it contains a NUL byte.',
    })
  }
  return path
}

/** `exec`'s `env`: an object of string values whose keys are shell variable names. */
function checkExecEnv(env: unknown): void {
  if (env === undefined) return
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new InvalidArgumentError('env', 'env must be an object of string values.')
  }
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new InvalidArgumentError('env', `env: '${key}' is not a valid variable name.`)
    }
    if (typeof value !== 'string') throw new InvalidArgumentError('env', `env.${key} must be a string.`)
  }
}

/** Turns a Node-style error (`code: 'ENOENT'`, …) into a `SandboxFileError`; other errors pass through. */
export function toSandboxFileError(error: unknown, operation: string, path: string): unknown {
  if (error instanceof SandboxFileError) return error
  const code = (error as { code?: unknown } | null)?.code
  const errno = code === 'ERR_FS_EISDIR' ? 'EISDIR' : code
  if (isSandboxFileErrno(errno)) {
    return new SandboxFileError({
      errno,
      path,
      operation,
      cause: error,
    })
  }
  return error
}
