import {
  ClosedError,
  type ExecOptions,
  InvalidArgumentError,
  instrumentSandbox,
  isSandboxFileErrno,
  optionWithAlias,
  PathRefusedError,
  type Sandbox,
  type SandboxDriver,
  type SandboxFileErrno,
  SandboxFileError,
  type ShellResult,
  sandboxFromDriver,
  type TelemetrySetting,
  telemetryFrom,
} from '@pyflue/core'
import type { Command, Sandbox as VercelSdkSandbox } from '@vercel/sandbox'
import {
  CLASSIFY_READ_SCRIPT,
  ERRNO_MARKER,
  EXISTS_SCRIPT,
  MKDIR_SCRIPT,
  PREPARE_WRITE_SCRIPT,
  READDIR_SCRIPT,
  RM_SCRIPT,
  STAT_SCRIPT,
} from './file-scripts.js'
import { toProviderError, withProviderErrors } from './provider-error.js'

/** The exit code of a command whose `timeoutMs` expired (the `timeout(1)` convention). */
export const TIMEOUT_EXIT_CODE = 124

/** Options of `vercelSandboxFromSdk`. */
export interface VercelSandboxFromSdkOptions {
  /** The working directory (absolute). Defaults to the sandbox session's own, e.g. `/vercel/sandbox`. */
  cwd?: string
  /** Stop the Vercel sandbox on every `close()`, not only on `close({ kill: true })`. Default `false`. */
  killOnClose?: boolean
  /** @deprecated The old name of `killOnClose`; still accepted. Passing both is an `InvalidArgumentError`. */
  stopOnClose?: boolean
  /** Called when a command whose caller was released by an abort settles later. */
  onOrphanSettled?: (settlement: { command: string; result?: ShellResult; error?: unknown }) => void
  /**
   * OpenTelemetry spans and metrics of this sandbox used alone, the same as the harness emits
   * (`pyflue.sandbox.exec`, `pyflue.sandbox.file`, `pyflue.sandbox.commands`):
   * `{ tracer, meter, recordCode }`, `true` for the global providers of `@opentelemetry/api`
   * (scope `@pyflue/sandbox-vercel`), or a `Telemetry`. Default off: nothing is wrapped. A harness given this
   * sandbox does not trace it a second time.
   */
  telemetry?: TelemetrySetting
}

/** A PyFlue `Sandbox` on Vercel: always has the provider's `id` (the sandbox name) and `close`. */
export type VercelSandbox = Sandbox & Required<Pick<Sandbox, 'id' | 'close'>>

/** The SDK calls the adapter makes; a real `Sandbox` from `@vercel/sandbox` has all of them. */
export type VercelSdkSandboxLike = Pick<
  VercelSdkSandbox,
  'name' | 'cwd' | 'runCommand' | 'readFileToBuffer' | 'writeFiles' | 'stop'
>

/**
 * Wraps a connected `@vercel/sandbox` `Sandbox` in the PyFlue `Sandbox` contract. The sandbox is
 * not stopped on `close()` unless `close({ kill: true })` or `killOnClose`.
 */
export function vercelSandboxFromSdk(
  sdk: VercelSdkSandboxLike,
  options: VercelSandboxFromSdkOptions = {},
): VercelSandbox {
  const cwd = options.cwd ?? sdk.cwd
  if (typeof cwd !== 'string' || !cwd.startsWith('/')) {
    throw new InvalidArgumentError(
      'cwd',
      `The working directory must be an absolute path: got ${String(cwd)}`,
    )
  }
  const driver = new VercelDriver(sdk, optionWithAlias(options, 'killOnClose', 'stopOnClose') ?? false)
  const sandbox = sandboxFromDriver(driver, {
    name: 'vercel',
    cwd,
    id: sdk.name,
    ...(options.onOrphanSettled ? { onOrphanSettled: options.onOrphanSettled } : {}),
  }) as VercelSandbox
  const telemetry = telemetryFrom(options.telemetry, {
    where: 'vercelSandbox options.telemetry',
    scope: '@pyflue/sandbox-vercel',
  })
  return instrumentSandbox(sandbox, telemetry)
}

interface ScriptResult {
  stdout: string
  stderr: string
  exitCode: number
}

class VercelDriver implements SandboxDriver {
  #closed = false

  constructor(
    private readonly sdk: VercelSdkSandboxLike,
    private readonly killOnClose: boolean,
  ) {}

  async exec(command: string, options: ExecOptions & { cwd: string }): Promise<ShellResult> {
    this.#checkOpen()
    const timeoutMs = checkTimeout(options.timeoutMs)
    const signal = options.signal
    if (timeoutMs === undefined && !signal) {
      // Nothing to cancel: one streaming request that returns the output with the exit code.
      const finished = await withProviderErrors(() =>
        this.sdk.runCommand({
          cmd: 'bash',
          args: ['-c', command],
          cwd: options.cwd,
          ...(options.env ? { env: options.env } : {}),
        }),
      )
      const [stdout, stderr] = await withProviderErrors(() =>
        Promise.all([finished.stdout(), finished.stderr()]),
      )
      return { stdout, stderr, exitCode: finished.exitCode }
    }
    // The deadline counts from before the start request: the sandbox's own clock starts when it
    // receives the request, so it may kill the command before this client's timer fires.
    const deadline = timeoutMs === undefined ? undefined : performance.now() + Math.ceil(timeoutMs)
    // Detached, so that the command has an id to kill it by on expiry or abort.
    const started: Command = await withProviderErrors(() =>
      this.sdk.runCommand({
        cmd: 'bash',
        args: ['-c', command],
        cwd: options.cwd,
        ...(options.env ? { env: options.env } : {}),
        detached: true,
        // The SDK's own deadline, in whole milliseconds, rounded up: the sandbox SIGKILLs the
        // process at expiry even if this client has gone away.
        ...(timeoutMs === undefined ? {} : { timeoutMs: Math.ceil(timeoutMs) }),
        ...(signal ? { signal } : {}),
      }),
    )
    const kill = () => {
      started.kill('SIGKILL').catch(() => {})
    }
    const timer =
      deadline === undefined
        ? undefined
        : setTimeout(
            // The deadline is also enforced here so that it holds from the caller's point of view,
            // whatever the sandbox reports for a killed process.
            kill,
            Math.max(0, deadline - performance.now()),
          )
    signal?.addEventListener('abort', kill, { once: true })
    // Aborted while the start request was answered: the listener will not fire, kill now.
    if (signal?.aborted) kill()
    try {
      const [finished, stdout] = await withProviderErrors(() =>
        Promise.all([
          started.wait(signal ? { signal } : undefined),
          started.stdout(signal ? { signal } : undefined),
        ]),
      )
      const stderr = await withProviderErrors(() => started.stderr())
      // Expired: the deadline passed before the command's result arrived.
      if (deadline !== undefined && performance.now() >= deadline) {
        const note = `Command timed out after ${timeoutMs} ms and was killed.`
        return {
          stdout,
          stderr: stderr === '' || stderr.endsWith('\n') ? `${stderr}${note}\n` : `${stderr}\n${note}\n`,
          exitCode: TIMEOUT_EXIT_CODE,
        }
      }
      return { stdout, stderr, exitCode: finished.exitCode }
    } finally {
      if (timer) clearTimeout(timer)
      signal?.removeEventListener('abort', kill)
    }
  }

  async readFile(path: string): Promise<string> {
    return new TextDecoder().decode(await this.readFileBuffer(path))
  }

  async readFileBuffer(path: string): Promise<Uint8Array> {
    this.#checkOpen(path)
    let buffer: Buffer | null
    try {
      buffer = await this.sdk.readFileToBuffer({ path })
    } catch (error) {
      // The API may answer a directory or an unreadable file with an error: find out which.
      const errno = await this.#classifyRead(path)
      if (errno && errno !== 'EIO')
        throw new SandboxFileError({ errno, path, operation: 'readFile', cause: error })
      throw toProviderError(error)
    }
    if (buffer === null) {
      // The API answers 404 for a missing file; the probe tells ENOENT from ENOTDIR and EISDIR.
      const errno = (await this.#classifyRead(path)) ?? 'ENOENT'
      throw new SandboxFileError({ errno, path, operation: 'readFile' })
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  }

  async writeFile(path: string, content: string | Uint8Array): Promise<void> {
    this.#checkOpen(path)
    const prepared = await this.#script(PREPARE_WRITE_SCRIPT, [path], 'writeFile', path)
    const newline = prepared.stdout.indexOf('\n')
    const mode = prepared.stdout.slice(0, newline)
    if (newline < 0 || !/^[0-7]*$/.test(mode)) {
      throw new SandboxFileError({
        errno: 'EIO',
        path,
        operation: 'writeFile',
        message: `writeFile ${path}: unexpected answer from the sandbox: ${JSON.stringify(prepared.stdout)}`,
      })
    }
    const target = prepared.stdout.slice(newline + 1)
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content)
    await withProviderErrors(() =>
      this.sdk.writeFiles([
        { path: target, content: bytes, ...(mode === '' ? {} : { mode: Number.parseInt(mode, 8) }) },
      ]),
    )
  }

  async stat(path: string) {
    this.#checkOpen(path)
    const { stdout } = await this.#script(STAT_SCRIPT, [path], 'stat', path)
    const [line = '', link = '0'] = stdout.trim().split('\n')
    const [modeHex = '', size = '', mtime = ''] = line.split('|')
    const type = Number.parseInt(modeHex, 16) & 0o170000
    const stat: {
      isFile: boolean
      isDirectory: boolean
      isSymbolicLink: boolean
      size?: number
      mtime?: Date
    } = {
      isFile: type === 0o100000,
      isDirectory: type === 0o040000,
      isSymbolicLink: link === '1',
    }
    const bytes = Number(size)
    if (size !== '' && Number.isFinite(bytes)) stat.size = bytes
    const seconds = Number(mtime)
    if (mtime !== '' && Number.isFinite(seconds)) stat.mtime = new Date(Math.round(seconds * 1000))
    return stat
  }

  async readdir(path: string): Promise<string[]> {
    this.#checkOpen(path)
    const { stdout } = await this.#script(READDIR_SCRIPT, [path], 'readdir', path)
    return stdout.split('\0').filter((name) => name !== '')
  }

  async exists(path: string): Promise<boolean> {
    this.#checkOpen(path)
    const result = await this.#run(EXISTS_SCRIPT, [path])
    return result.exitCode === 0
  }

  async mkdir(path: string, options: { recursive: boolean }): Promise<void> {
    this.#checkOpen(path)
    await this.#script(MKDIR_SCRIPT, [path, options.recursive ? '1' : '0'], 'mkdir', path)
  }

  async rm(path: string, options: { recursive: boolean; force: boolean }): Promise<void> {
    this.#checkOpen(path)
    await this.#script(
      RM_SCRIPT,
      [path, options.recursive ? '1' : '0', options.force ? '1' : '0'],
      'rm',
      path,
    )
  }

  async close(options?: { kill?: boolean }): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (options?.kill || this.killOnClose) await withProviderErrors(() => this.sdk.stop())
  }

  /** Throws `ClosedError` after `close()`, and `PathRefusedError` for a path no POSIX file can have. */
  #checkOpen(path?: string): void {
    if (this.#closed) throw new ClosedError('sandbox')
    if (path?.includes('\0')) {
      throw new PathRefusedError({
        path,
        reason: 'invalid',
        message: `A path cannot contain a NUL byte: ${JSON.stringify(path)}`,
      })
    }
  }

  /** Runs a script to completion; a provider failure becomes a `SandboxProviderError`. */
  async #run(script: string, args: string[]): Promise<ScriptResult> {
    const finished = await withProviderErrors(() =>
      this.sdk.runCommand({ cmd: 'bash', args: ['-c', script, 'pyflue', ...args], env: { LC_ALL: 'C' } }),
    )
    const [stdout, stderr] = await withProviderErrors(() =>
      Promise.all([finished.stdout(), finished.stderr()]),
    )
    return { stdout, stderr, exitCode: finished.exitCode ?? 0 }
  }

  /** Runs a file script; its errno marker becomes a `SandboxFileError`, any other failure `EIO`. */
  async #script(script: string, args: string[], operation: string, path: string): Promise<ScriptResult> {
    const result = await this.#run(script, args)
    if (result.exitCode === 0) return result
    throw new SandboxFileError({
      errno: errnoOf(result.stderr) ?? 'EIO',
      path,
      operation,
      ...(errnoOf(result.stderr) ? {} : { message: `${operation} ${path}: ${result.stderr.trim()}` }),
    })
  }

  /** Says why a read failed, as the errno a probe of the path finds (`EIO` when the file looks readable). */
  async #classifyRead(path: string): Promise<SandboxFileErrno | undefined> {
    return errnoOf((await this.#run(CLASSIFY_READ_SCRIPT, [path])).stderr)
  }
}

function errnoOf(stderr: string): SandboxFileErrno | undefined {
  const index = stderr.lastIndexOf(ERRNO_MARKER)
  if (index < 0) return undefined
  const errno = stderr.slice(index + ERRNO_MARKER.length).trim() as SandboxFileErrno
  return isSandboxFileErrno(errno) ? errno : undefined
}

function checkTimeout(timeoutMs: number | undefined): number | undefined {
  if (timeoutMs === undefined) return undefined
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidArgumentError(
      'timeoutMs',
      `timeoutMs must be a positive number: got ${String(timeoutMs)}`,
    )
  }
  return timeoutMs
}
