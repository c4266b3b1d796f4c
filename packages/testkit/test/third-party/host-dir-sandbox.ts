/**
 * A third party's sandbox, written only against @pyflue/core's public *types* (nothing from
 * core is imported at run time): a local sandbox over a temporary host directory whose shell is
 * the host's `bash`. It is a test fixture proving the contract can be implemented from its text;
 * it confines nothing and is not meant for model-written commands.
 */
import { spawn } from 'node:child_process'
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { posix } from 'node:path'
import type {
  ExecOptions,
  FileStat,
  HostDirectoryMount,
  Sandbox,
  SandboxFactory,
  ShellResult,
} from '@pyflue/core'

const ERRNOS = new Set(['ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EACCES'])

/** Turns Node's file errors into the contract's duck-typed `SandboxFileError`. */
function fileError(error: unknown, operation: string, path: string): unknown {
  const code = (error as { code?: string }).code
  const errno = code === 'ERR_FS_EISDIR' ? 'EISDIR' : code
  if (!errno || !ERRNOS.has(errno)) return error
  const converted = new Error(`${operation} ${path}: ${errno}`)
  converted.name = 'SandboxFileError'
  return Object.assign(converted, { code: 'SANDBOX_FILE', errno, path, operation })
}

function abortError(signal: AbortSignal): DOMException {
  const error = new DOMException('The command was aborted.', 'AbortError')
  Object.defineProperty(error, 'cause', { value: signal.reason })
  return error
}

/** The contract's duck-typed `ClosedError` and `InvalidArgumentError`. */
function pyflueError(code: string, message: string, facts: Record<string, unknown> = {}): Error {
  const error = new Error(message)
  error.name = code === 'CLOSED' ? 'ClosedError' : 'InvalidArgumentError'
  return Object.assign(error, { code, ...facts })
}

export class HostDirSandbox implements Sandbox {
  readonly name = 'host-dir'
  readonly contractVersion = 1 as const
  #closed = false

  constructor(readonly cwd: string) {}

  #assertOpen(): void {
    if (this.#closed) throw pyflueError('CLOSED', 'The sandbox is closed.', { resource: 'sandbox' })
  }

  resolvePath(path: string): string {
    return posix.resolve(this.cwd, path)
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    this.#assertOpen()
    const { signal } = options
    const given = options.timeoutMs
    if (given !== undefined && (Number.isNaN(given) || given < 0)) {
      throw pyflueError('INVALID_ARGUMENT', 'timeoutMs must be a non-negative number.', {
        argument: 'timeoutMs',
      })
    }
    // 0 and Infinity: no deadline.
    const timeoutMs = given === 0 || given === Number.POSITIVE_INFINITY ? undefined : given
    if (signal?.aborted) throw abortError(signal)
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', command], {
        cwd: options.cwd === undefined ? this.cwd : this.resolvePath(options.cwd),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.cwd, ...options.env },
        detached: true,
      })
      let stdout = ''
      let stderr = ''
      let timedOut = false
      const kill = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {}
      }
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true
              kill()
            }, timeoutMs)
      const onAbort = () => {
        kill()
        reject(abortError(signal!))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      child.stdout.on('data', (chunk) => {
        stdout += chunk
      })
      child.stderr.on('data', (chunk) => {
        stderr += chunk
      })
      child.on('error', reject)
      child.on('close', (code) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (timedOut) resolve({ stdout, stderr: `${stderr}timed out after ${timeoutMs} ms\n`, exitCode: 124 })
        else resolve({ stdout, stderr, exitCode: code ?? 1 })
      })
    })
  }

  async #file<T>(operation: string, path: string, run: (target: string) => Promise<T>): Promise<T> {
    this.#assertOpen()
    const target = this.resolvePath(path)
    try {
      return await run(target)
    } catch (error) {
      throw fileError(error, operation, target)
    }
  }

  readFile(path: string): Promise<string> {
    return this.#file('readFile', path, (target) => fs.readFile(target, 'utf8'))
  }

  readFileBuffer(path: string): Promise<Uint8Array> {
    return this.#file('readFileBuffer', path, async (target) => new Uint8Array(await fs.readFile(target)))
  }

  writeFile(path: string, content: string | Uint8Array): Promise<void> {
    return this.#file('writeFile', path, async (target) => {
      await fs.mkdir(posix.dirname(target), { recursive: true })
      await fs.writeFile(target, content)
    })
  }

  stat(path: string): Promise<FileStat> {
    return this.#file('stat', path, async (target) => {
      const [stat, lstat] = await Promise.all([fs.stat(target), fs.lstat(target)])
      return {
        isFile: stat.isFile(),
        isDirectory: stat.isDirectory(),
        isSymbolicLink: lstat.isSymbolicLink(),
        size: stat.size,
        mtime: stat.mtime,
      }
    })
  }

  readdir(path: string): Promise<string[]> {
    return this.#file('readdir', path, async (target) => (await fs.readdir(target)).sort())
  }

  async exists(path: string): Promise<boolean> {
    if (this.#closed) return false
    try {
      await fs.access(this.resolvePath(path))
      return true
    } catch {
      return false
    }
  }

  mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    return this.#file('mkdir', path, async (target) => {
      if (options?.recursive && (await fs.stat(target).catch(() => undefined))?.isFile()) {
        throw Object.assign(new Error('file in the way'), { code: 'EEXIST' })
      }
      await fs.mkdir(target, { recursive: options?.recursive ?? false })
    })
  }

  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void> {
    return this.#file('rm', path, (target) => fs.rm(target, options))
  }

  hostMounts(): readonly HostDirectoryMount[] {
    return this.#closed ? [] : [{ sandboxPath: this.cwd, hostDir: this.cwd, mode: 'read-write' }]
  }

  async close(): Promise<void> {
    this.#closed = true
    await fs.rm(this.cwd, { recursive: true, force: true })
  }
}

/** The factory a third party would publish. */
export const hostDirSandbox: SandboxFactory = {
  name: 'host-dir',
  async createSandbox() {
    return new HostDirSandbox(await fs.mkdtemp(posix.join(tmpdir(), 'pyflue-host-dir-')))
  },
}
