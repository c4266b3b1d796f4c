import {
  createAbortError,
  type ExecOptions,
  type FileStat,
  InvalidArgumentError,
  parentPath,
  type SandboxDriver,
  type SandboxFileErrno,
  SandboxFileError,
  type ShellResult,
} from '@pyflue/core'
import {
  CommandExitError,
  type CommandHandle,
  InvalidArgumentError as E2BInvalidArgumentError,
  type Sandbox as E2BSdkSandbox,
  type EntryInfo,
  FileNotFoundError,
  NotFoundError,
  SandboxError,
  SandboxNotFoundError,
  TimeoutError,
} from 'e2b'
import { toSandboxProviderError } from './provider-errors.js'

/** What `e2bDriver` needs besides the SDK's sandbox. */
export interface E2BDriverOptions {
  /** The sandbox user that runs commands and owns written files (the SDK's `user`). */
  user?: string
  /** Per-request timeout of the SDK's HTTP calls (not of commands). */
  requestTimeoutMs?: number
  /** Kill the provider's sandbox on every `close()`, not only on `close({ kill: true })`. */
  killOnClose?: boolean
}

/** The note appended to `stderr` when `timeoutMs` expires. */
export const TIMEOUT_NOTE = 'pyflue: command timed out'

/**
 * A `SandboxDriver` over one `e2b` SDK sandbox. Give it to `sandboxFromDriver` (as
 * `connectE2BSandbox` does) to get a full `Sandbox`. Paths arrive absolute.
 */
export function e2bDriver(sdk: E2BSdkSandbox, options: E2BDriverOptions = {}): SandboxDriver {
  const base = {
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
  }

  const info = async (operation: string, path: string): Promise<EntryInfo> => {
    try {
      return await sdk.files.getInfo(path, base)
    } catch (error) {
      throw toDriverError(error, operation, path)
    }
  }
  /** `undefined` for a missing path (ENOENT); other failures are thrown. */
  const infoOrMissing = async (operation: string, path: string): Promise<EntryInfo | undefined> => {
    try {
      return await info(operation, path)
    } catch (error) {
      if (error instanceof SandboxFileError && error.errno === 'ENOENT') return undefined
      throw error
    }
  }
  /** Follows a symlink to what it names (envd reports the link's own size and time). */
  const statFollowing = async (operation: string, path: string): Promise<FileStat> => {
    const entry = await info(operation, path)
    if (entry.symlinkTarget === undefined) return toFileStat(entry, false)
    if (entry.type === undefined) throw new SandboxFileError({ errno: 'ENOENT', path, operation })
    const target = await info(operation, entry.symlinkTarget)
    return toFileStat(target, true)
  }
  const readBytes = async (path: string, operation: string): Promise<Uint8Array> => {
    try {
      return await sdk.files.read(path, { ...base, format: 'bytes' })
    } catch (error) {
      throw toDriverError(error, operation, path)
    }
  }

  return {
    async exec(command: string, execOptions: ExecOptions & { cwd: string }): Promise<ShellResult> {
      const timeoutMs = sdkTimeout(execOptions.timeoutMs)
      const signal = execOptions.signal
      let handle: CommandHandle
      try {
        handle = await sdk.commands.run(command, {
          ...base,
          background: true,
          cwd: execOptions.cwd,
          ...(execOptions.env === undefined ? {} : { envs: execOptions.env }),
          timeoutMs,
        })
      } catch (error) {
        if (error instanceof E2BInvalidArgumentError && /cwd .* does not exist/.test(error.message)) {
          throw new SandboxFileError({
            errno: 'ENOENT',
            path: execOptions.cwd,
            operation: 'exec',
            cause: error,
          })
        }
        // A deadline shorter than the start-up itself expires before envd reports the process.
        if (timeoutMs > 0 && isDeadlineError(error)) return timedOut('', '', timeoutMs)
        throw toSandboxProviderError(error)
      }
      // envd keeps a process running when its client goes away, so an abort kills it.
      const kill = () => {
        handle.kill().catch(() => {})
      }
      signal?.addEventListener('abort', kill, { once: true })
      if (signal?.aborted) kill()
      try {
        const result = await handle.wait()
        return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode }
      } catch (error) {
        if (signal?.aborted) throw createAbortError(signal)
        if (error instanceof CommandExitError) {
          return { stdout: error.stdout, stderr: error.stderr, exitCode: error.exitCode }
        }
        if (timeoutMs > 0 && isDeadlineError(error)) {
          kill()
          return timedOut(handle.stdout, handle.stderr, timeoutMs)
        }
        throw toSandboxProviderError(error)
      } finally {
        signal?.removeEventListener('abort', kill)
      }
    },

    async readFile(path) {
      return new TextDecoder().decode(await readBytes(path, 'readFile'))
    },

    readFileBuffer: (path) => readBytes(path, 'readFileBuffer'),

    async writeFile(path, content) {
      try {
        await sdk.files.write(path, new Blob([content as Uint8Array<ArrayBuffer> | string]), base)
      } catch (error) {
        throw toDriverError(error, 'writeFile', path)
      }
    },

    stat: (path) => statFollowing('stat', path),

    async readdir(path) {
      try {
        return (await sdk.files.list(path, { ...base, depth: 1 })).map((entry) => entry.name)
      } catch (error) {
        throw toDriverError(error, 'readdir', path)
      }
    },

    async exists(path) {
      try {
        await statFollowing('exists', path)
        return true
      } catch {
        return false
      }
    },

    async mkdir(path, { recursive }) {
      if (!recursive) {
        if (await infoOrMissing('mkdir', path))
          throw new SandboxFileError({ errno: 'EEXIST', path, operation: 'mkdir' })
        const parent = parentPath(path)
        const parentInfo = await infoOrMissing('mkdir', parent)
        if (!parentInfo) throw new SandboxFileError({ errno: 'ENOENT', path, operation: 'mkdir' })
        if (parentInfo.type !== 'dir')
          throw new SandboxFileError({ errno: 'ENOTDIR', path, operation: 'mkdir' })
      }
      try {
        await sdk.files.makeDir(path, base)
      } catch (error) {
        if (error instanceof E2BInvalidArgumentError && error.message.includes('not a directory')) {
          throw new SandboxFileError({ errno: 'EEXIST', path, operation: 'mkdir', cause: error })
        }
        throw toDriverError(error, 'mkdir', path)
      }
    },

    async rm(path, { recursive, force }) {
      const entry = await infoOrMissing('rm', path)
      if (!entry) {
        if (force) return
        throw new SandboxFileError({ errno: 'ENOENT', path, operation: 'rm' })
      }
      // A symlink is removed as itself, whatever it points to.
      const isDirectory = entry.type === 'dir' && entry.symlinkTarget === undefined
      if (isDirectory && !recursive) throw new SandboxFileError({ errno: 'EISDIR', path, operation: 'rm' })
      try {
        await sdk.files.remove(path, base)
      } catch (error) {
        throw toDriverError(error, 'rm', path)
      }
    },

    async close(closeOptions) {
      if (closeOptions?.kill || options.killOnClose) {
        try {
          await sdk.kill(base)
        } catch (error) {
          throw toSandboxProviderError(error)
        }
      }
    },
  }
}

/**
 * The SDK's command timeout for a contract `timeoutMs`: whole milliseconds rounded up, at least
 * 1 (the SDK reads `0` as "no timeout"); `0` when there is no deadline.
 */
export function sdkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return 0
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new InvalidArgumentError(
      'timeoutMs',
      `timeoutMs must be a non-negative number of milliseconds: got ${String(timeoutMs)}`,
    )
  }
  if (timeoutMs === Number.POSITIVE_INFINITY) return 0
  return Math.max(1, Math.ceil(timeoutMs))
}

function timedOut(stdout: string, stderr: string, timeoutMs: number): ShellResult {
  const separator = stderr === '' || stderr.endsWith('\n') ? '' : '\n'
  return { stdout, stderr: `${stderr}${separator}${TIMEOUT_NOTE} after ${timeoutMs} ms\n`, exitCode: 124 }
}

function isDeadlineError(error: unknown): boolean {
  return error instanceof TimeoutError && error.message.includes('deadline_exceeded')
}

function toFileStat(entry: EntryInfo, isSymbolicLink: boolean): FileStat {
  const stat: FileStat = {
    isFile: entry.type === 'file',
    isDirectory: entry.type === 'dir',
    isSymbolicLink,
  }
  if (Number.isFinite(entry.size)) stat.size = entry.size
  if (entry.modifiedTime instanceof Date && !Number.isNaN(entry.modifiedTime.getTime()))
    stat.mtime = entry.modifiedTime
  return stat
}

/** Maps an SDK error of a file verb: the file's own failures become `SandboxFileError`, the rest `SandboxProviderError`. */
function toDriverError(error: unknown, operation: string, path: string): Error {
  const errno = fileErrno(error)
  if (errno) return new SandboxFileError({ errno, path, operation, cause: error })
  return toSandboxProviderError(error)
}

function fileErrno(error: unknown): SandboxFileErrno | undefined {
  if (error instanceof FileNotFoundError) return 'ENOENT'
  if (!(error instanceof SandboxError) || error instanceof TimeoutError) return undefined
  const message = error.message
  if (/is a directory/.test(message)) return 'EISDIR'
  if (/not a directory/.test(message)) return 'ENOTDIR'
  if (/permission denied/i.test(message)) return 'EACCES'
  if (error instanceof NotFoundError && !(error instanceof SandboxNotFoundError)) return 'ENOENT'
  return undefined
}
