import { raceAbort, throwIfAborted } from './abort.js'
import { SandboxFileError } from './errors/sandbox-errors.js'
import { refuseUnknownKeys } from './option-keys.js'
import { parentPath, resolveSandboxPath } from './paths.js'
import type { ExecOptions, FileStat, HostDirectoryMount, Sandbox, ShellResult } from './sandbox.js'
import { EXEC_OPTION_KEYS, SANDBOX_CONTRACT_VERSION } from './sandbox.js'

/**
 * The smaller surface a provider adapter implements; `sandboxFromDriver` turns it into a full
 * `Sandbox`. Paths arrive absolute and normalised. Errors for missing paths and wrong kinds
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
}

/**
 * Builds a contract-conforming `Sandbox` from a driver. It supplies the refusal of unknown `exec`
 * option keys, path resolution against
 * `cwd`, the `writeFile` parent guarantee, sorted `readdir`, an `exists` that never throws,
 * Node-style error codes turned into `SandboxFileError`, and the abort race of `exec` (an
 * aborted caller is released at once; the driver's later outcome goes to `onOrphanSettled`).
 */
export function sandboxFromDriver(driver: SandboxDriver, options: SandboxFromDriverOptions): Sandbox {
  const cwd = resolveSandboxPath('/', options.cwd)
  const resolvePath = (path: string) => resolveSandboxPath(cwd, path)
  const wrap = async <T>(operation: string, path: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (error) {
      throw toSandboxFileError(error, operation, path)
    }
  }
  let closed = false

  const sandbox: Sandbox = {
    name: options.name,
    contractVersion: SANDBOX_CONTRACT_VERSION,
    ...(options.id === undefined ? {} : { id: options.id }),
    cwd,
    resolvePath,
    async exec(command, execOptions = {}) {
      refuseUnknownKeys(execOptions, EXEC_OPTION_KEYS, 'exec options')
      throwIfAborted(execOptions.signal)
      const run = driver.exec(command, {
        ...execOptions,
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
    readFile: (path) => wrap('readFile', resolvePath(path), () => driver.readFile(resolvePath(path))),
    readFileBuffer: (path) =>
      wrap('readFileBuffer', resolvePath(path), () => driver.readFileBuffer(resolvePath(path))),
    async writeFile(path, content) {
      const target = resolvePath(path)
      await wrap('writeFile', target, async () => {
        try {
          await driver.writeFile(target, content)
        } catch (first) {
          const parent = parentPath(target)
          if (await driver.exists(parent).catch(() => false)) throw first
          await driver.mkdir(parent, { recursive: true })
          await driver.writeFile(target, content)
        }
      })
    },
    stat: (path) => wrap('stat', resolvePath(path), () => driver.stat(resolvePath(path))),
    readdir: (path) =>
      wrap('readdir', resolvePath(path), async () => (await driver.readdir(resolvePath(path))).sort()),
    async exists(path) {
      try {
        return await driver.exists(resolvePath(path))
      } catch {
        return false
      }
    },
    mkdir: (path, mkdirOptions) =>
      wrap('mkdir', resolvePath(path), () =>
        driver.mkdir(resolvePath(path), { recursive: mkdirOptions?.recursive ?? false }),
      ),
    rm: (path, rmOptions) =>
      wrap('rm', resolvePath(path), () =>
        driver.rm(resolvePath(path), {
          recursive: rmOptions?.recursive ?? false,
          force: rmOptions?.force ?? false,
        }),
      ),
    async close(closeOptions) {
      if (closed) return
      closed = true
      await driver.close?.(closeOptions)
    },
  }
  if (driver.hostMounts) sandbox.hostMounts = () => driver.hostMounts!()
  return sandbox
}

const ERRNOS = new Set(['ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EACCES', 'EIO'])

/** Turns a Node-style error (`code: 'ENOENT'`, …) into a `SandboxFileError`; other errors pass through. */
export function toSandboxFileError(error: unknown, operation: string, path: string): unknown {
  if (error instanceof SandboxFileError) return error
  const code = (error as { code?: unknown } | null)?.code
  const errno = code === 'ERR_FS_EISDIR' ? 'EISDIR' : code
  if (typeof errno === 'string' && ERRNOS.has(errno)) {
    return new SandboxFileError({
      errno: errno as SandboxFileError['errno'],
      path,
      operation,
      cause: error,
    })
  }
  return error
}
