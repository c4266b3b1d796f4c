/**
 * `sandboxFromDriver`, the one outer `Sandbox` of every driver: the closed guard, the `exec`
 * checks (command, env, the `timeoutMs` domain, a pre-aborted signal), path refusal and the
 * errno mapping, over a driver whose files live in a real temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PathRefusedError } from './errors/sandbox-errors.js'
import { deadlineOf } from './exec-timeout.js'
import { isNetworkFailure, isSandboxFileErrno, SANDBOX_FILE_ERRNOS } from './provider-failures.js'
import type { ExecOptions, Sandbox } from './sandbox.js'
import { type SandboxDriver, sandboxFromDriver } from './sandbox-from-driver.js'
import { resolveSandboxPolicy } from './sandbox-policy.js'

let root: string
let execCalls: Array<{ command: string; options: ExecOptions & { cwd: string } }>
let closes: number

/** A driver over a host directory; `exec` records what it was given. */
function directoryDriver(): SandboxDriver {
  const host = (path: string) => join(root, path)
  return {
    async exec(command, options) {
      execCalls.push({ command, options })
      return { stdout: command, stderr: '', exitCode: 0 }
    },
    readFile: (path) => fs.readFile(host(path), 'utf8'),
    readFileBuffer: async (path) => new Uint8Array(await fs.readFile(host(path))),
    writeFile: (path, content) => fs.writeFile(host(path), content),
    async stat(path) {
      const info = await fs.stat(host(path))
      return { isFile: info.isFile(), isDirectory: info.isDirectory(), size: info.size, mtime: info.mtime }
    },
    readdir: (path) => fs.readdir(host(path)),
    exists: (path) =>
      fs.stat(host(path)).then(
        () => true,
        () => false,
      ),
    mkdir: async (path, options) => {
      await fs.mkdir(host(path), options)
    },
    rm: (path, options) => fs.rm(host(path), options),
    hostMounts: () => [{ sandboxPath: '/', hostDir: root, mode: 'read-write' }],
    openHostMounts: async () => ({
      mounts: [{ sandboxPath: '/', hostDir: root, mode: 'read-write' }],
      release: async () => {
        releases++
      },
    }),
    async close() {
      closes++
    },
  }
}

let sandbox: Sandbox
let releases = 0
beforeEach(() => {
  releases = 0
  root = mkdtempSync(join(tmpdir(), 'pyflue-driver-'))
  execCalls = []
  closes = 0
  sandbox = sandboxFromDriver(directoryDriver(), { name: 'directory', cwd: '/' })
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('the closed guard', () => {
  it('after close() every verb rejects with ClosedError, exists is false, hostMounts and openHostMounts are empty', async () => {
    await sandbox.writeFile('a.txt', 'x')
    await sandbox.close?.()
    await sandbox.close?.()
    expect(closes).toBe(1)
    const verbs: Array<[string, () => Promise<unknown>]> = [
      ['exec', () => sandbox.exec('echo')],
      ['readFile', () => sandbox.readFile('a.txt')],
      ['readFileBuffer', () => sandbox.readFileBuffer('a.txt')],
      ['writeFile', () => sandbox.writeFile('b.txt', 'y')],
      ['stat', () => sandbox.stat('a.txt')],
      ['readdir', () => sandbox.readdir('/')],
      ['mkdir', () => sandbox.mkdir('d')],
      ['rm', () => sandbox.rm('a.txt')],
    ]
    for (const [name, run] of verbs) {
      await expect(run(), name).rejects.toMatchObject({ code: 'CLOSED', resource: 'sandbox' })
    }
    expect(await sandbox.exists('a.txt')).toBe(false)
    expect(sandbox.hostMounts?.()).toEqual([])
    const lease = await sandbox.openHostMounts!()
    expect(lease.mounts).toEqual([])
    await lease.release()
    expect(releases).toBe(0)
    expect(execCalls).toEqual([])
    expect(await fs.readdir(root)).toEqual(['a.txt'])
  })
})

describe('host mounts', () => {
  it("openHostMounts passes the driver's lease through while open", async () => {
    const lease = await sandbox.openHostMounts!()
    expect(lease.mounts).toEqual([{ sandboxPath: '/', hostDir: root, mode: 'read-write' }])
    await lease.release()
    expect(releases).toBe(1)
  })
})

describe('exec checks', () => {
  it('0, Infinity and absent timeoutMs reach the driver as no deadline; a positive one as itself', async () => {
    for (const timeoutMs of [0, Number.POSITIVE_INFINITY, undefined]) {
      await sandbox.exec('a', timeoutMs === undefined ? {} : { timeoutMs })
    }
    await sandbox.exec('b', { timeoutMs: 1500.5 })
    expect(execCalls.map((call) => call.options.timeoutMs)).toEqual([undefined, undefined, undefined, 1500.5])
    expect(execCalls.every((call) => call.options.cwd === '/')).toBe(true)
  })

  it('refuses a negative or NaN timeoutMs, a bad env and a non-string command before the driver runs', async () => {
    for (const timeoutMs of [-1, Number.NaN, '5' as unknown as number]) {
      await expect(sandbox.exec('x', { timeoutMs })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        argument: 'timeoutMs',
      })
    }
    await expect(sandbox.exec('x', { env: { 'A-B': '1' } })).rejects.toMatchObject({ argument: 'env' })
    await expect(sandbox.exec('x', { env: { A: 1 as unknown as string } })).rejects.toMatchObject({
      argument: 'env',
    })
    await expect(sandbox.exec(42 as unknown as string)).rejects.toMatchObject({ argument: 'command' })
    await expect(sandbox.exec('x', { timeout: 5 } as ExecOptions)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    const controller = new AbortController()
    controller.abort(new Error('before'))
    await expect(sandbox.exec('x', { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    })
    expect(execCalls).toEqual([])
  })
})

describe('paths and errors', () => {
  it('refuses a path with a NUL byte and maps Node error codes to SandboxFileError', async () => {
    await expect(sandbox.readFile('a\0b')).rejects.toMatchObject({ code: 'PATH_REFUSED', reason: 'invalid' })
    await expect(sandbox.readFile('missing.txt')).rejects.toMatchObject({
      code: 'SANDBOX_FILE',
      errno: 'ENOENT',
      path: '/missing.txt',
    })
    await sandbox.writeFile('deep/er/file.txt', 'made with parents')
    expect(await sandbox.readFile('/deep/er/file.txt')).toBe('made with parents')
    expect(await sandbox.readdir('deep')).toEqual(['er'])
  })
})

describe('shared classifications', () => {
  it('deadlineOf, the errno list and network failures', () => {
    expect([
      deadlineOf(undefined),
      deadlineOf(0),
      deadlineOf(Number.POSITIVE_INFINITY),
      deadlineOf(7),
    ]).toEqual([undefined, undefined, undefined, 7])
    expect(SANDBOX_FILE_ERRNOS).toContain('ENOTEMPTY')
    expect(isSandboxFileErrno('EIO')).toBe(true)
    expect(isSandboxFileErrno('EPERM')).toBe(false)
    expect(isNetworkFailure(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).toBe(true)
    expect(
      isNetworkFailure(new Error('x', { cause: new Error('y', { cause: { code: 'UND_ERR_SOCKET' } }) })),
    ).toBe(true)
    expect(isNetworkFailure(new Error('HTTP 500'))).toBe(false)
  })
})

describe('driver options and views', () => {
  it('checkPath refuses before resolution; createsParents skips the parent retry', async () => {
    const refusing = sandboxFromDriver(directoryDriver(), {
      name: 'directory',
      cwd: '/',
      checkPath: (path) => {
        if (path === '') throw new PathRefusedError({ path, reason: 'invalid', message: 'empty' })
      },
      createsParents: true,
    })
    await expect(refusing.readFile('')).rejects.toMatchObject({ code: 'PATH_REFUSED' })
    await expect(refusing.exec('x', { cwd: '' })).rejects.toMatchObject({ code: 'PATH_REFUSED' })
    // The driver's writeFile does not make parents, and the wrapper does not retry.
    await expect(refusing.writeFile('no/parent.txt', 'x')).rejects.toMatchObject({ errno: 'ENOENT' })
    expect(await fs.readdir(root)).toEqual([])
  })

  it('restrict wraps the driver view, which shares the lifetime of its base', async () => {
    const base = directoryDriver()
    const view: SandboxDriver = {
      ...base,
      writeFile: async () => {
        throw Object.assign(new Error('read-only'), { code: 'EACCES' })
      },
    }
    const sandbox = sandboxFromDriver(
      { ...base, restrict: (policy) => (policy.allowWrite ? base : view) },
      { name: 'directory', cwd: '/' },
    )
    const restricted = sandbox.restrict!(resolveSandboxPolicy({ allowWrite: false }))
    expect(restricted).not.toBe(sandbox)
    await expect(restricted.writeFile('a.txt', 'x')).rejects.toMatchObject({ errno: 'EACCES' })
    await sandbox.writeFile('a.txt', 'x')
    expect(await restricted.readFile('a.txt')).toBe('x')
    await restricted.close?.()
    await expect(sandbox.readFile('a.txt')).rejects.toMatchObject({ code: 'CLOSED' })
    expect(closes).toBe(1)
  })
})
