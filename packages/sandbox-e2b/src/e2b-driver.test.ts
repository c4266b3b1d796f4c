import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import {
  InvalidArgumentError,
  isAbortError,
  type Sandbox,
  SandboxFileError,
  SandboxProviderError,
} from '@pyflue/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually, useFakeE2B } from '../test/fake-e2b-context.js'
import { sdkTimeout, TIMEOUT_NOTE } from './e2b-driver.js'

const fake = useFakeE2B()
let sandbox: Sandbox

beforeAll(async () => {
  sandbox = await fake.sandbox()
})

async function fileError(promise: Promise<unknown>): Promise<SandboxFileError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SandboxFileError)
  return error as SandboxFileError
}

describe('exec through the e2b SDK', () => {
  it('resolves stdout, stderr and a zero exit code', async () => {
    const result = await sandbox.exec('echo out; echo err >&2')
    expect(result).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 0 })
  })

  it('resolves a non-zero exit as a result, not the SDK CommandExitError', async () => {
    const result = await sandbox.exec('echo partial; exit 7')
    expect(result).toEqual({ stdout: 'partial\n', stderr: '', exitCode: 7 })
  })

  it('runs in the sandbox cwd by default and resolves a relative cwd against it', async () => {
    await sandbox.mkdir('sub/dir', { recursive: true })
    expect((await sandbox.exec('pwd')).stdout).toBe(`${sandbox.cwd}\n`)
    expect((await sandbox.exec('pwd', { cwd: 'sub/dir' })).stdout).toBe(`${sandbox.cwd}/sub/dir\n`)
  })

  it('a missing cwd is ENOENT, and nothing runs', async () => {
    const before = fake.server().commands.length
    const error = await fileError(sandbox.exec('echo never', { cwd: 'no-such-dir' }))
    expect(error.errno).toBe('ENOENT')
    expect(error.path).toBe(`${sandbox.cwd}/no-such-dir`)
    expect(fake.server().commands.length).toBe(before)
  })

  it('layers env over the base environment for one command only', async () => {
    const result = await sandbox.exec('echo "$GREETING:$HOME"', { env: { GREETING: 'hello' } })
    expect(result.stdout).toBe(`hello:${fake.server().workdir}\n`)
    expect((await sandbox.exec('echo "[$GREETING]"')).stdout).toBe('[]\n')
  })

  it('does not forward the host process environment to the sandbox', async () => {
    process.env.PYFLUE_HOST_SECRET = 'do-not-leak'
    try {
      const result = await sandbox.exec('echo "[$PYFLUE_HOST_SECRET]"')
      expect(result.stdout).toBe('[]\n')
      // Nothing but the caller's `env` is sent as the command's environment.
      expect(fake.server().commands.at(-1)?.envs).toEqual({})
    } finally {
      delete process.env.PYFLUE_HOST_SECRET
    }
  })

  it('an expired timeoutMs resolves with exit code 124, the output so far and a note', async () => {
    const result = await sandbox.exec('echo started; sleep 60; echo finished', { timeoutMs: 3000 })
    expect(result.exitCode).toBe(124)
    expect(result.stdout).toBe('started\n')
    expect(result.stderr).toContain(TIMEOUT_NOTE)
    const record = fake.server().commands.at(-1)!
    expect(await eventually(() => !fake.server().isRunning(record.pid))).toBe(true)
  })

  it('gives the SDK its timeout rounded up to whole milliseconds, never down', async () => {
    await sandbox.exec('true', { timeoutMs: 2500.2 })
    expect(fake.server().commands.at(-1)?.timeoutHeader).toBe('2501')
    await sandbox.exec('true', { timeoutMs: 4999.5 })
    expect(fake.server().commands.at(-1)?.timeoutHeader).toBe('5000')
  })

  it('a deadline that expires before the process is reported still resolves with 124', async () => {
    const result = await sandbox.exec('sleep 60', { timeoutMs: 0.1 })
    expect(result.exitCode).toBe(124)
    expect(result.stderr).toContain(TIMEOUT_NOTE)
  })

  it('sends no deadline when timeoutMs is not given (the SDK default of 60 s is not applied)', async () => {
    await sandbox.exec('true')
    expect(fake.server().commands.at(-1)?.timeoutHeader).toBeUndefined()
  })

  it('refuses a negative or NaN timeoutMs with InvalidArgumentError before anything runs', async () => {
    const before = fake.server().commands.length
    await expect(sandbox.exec('true', { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(sandbox.exec('true', { timeoutMs: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(fake.server().commands.length).toBe(before)
  })

  it('abort rejects at once with AbortError and kills the remote process', async () => {
    const controller = new AbortController()
    const running = sandbox.exec('sleep 30', { signal: controller.signal })
    expect(await eventually(() => fake.server().commands.at(-1)?.command === 'sleep 30')).toBe(true)
    const record = fake.server().commands.at(-1)!
    const reason = new Error('stop now')
    controller.abort(reason)
    const error = await running.catch((e: unknown) => e)
    expect(isAbortError(error)).toBe(true)
    expect((error as { cause?: unknown }).cause).toBe(reason)
    expect(await eventually(() => fake.server().signals.some((s) => s.pid === record.pid))).toBe(true)
    expect(fake.server().signals.find((s) => s.pid === record.pid)?.signal).toBe('SIGNAL_SIGKILL')
    expect(await eventually(() => !fake.server().isRunning(record.pid))).toBe(true)
  })

  it('an already-aborted signal rejects before the command starts', async () => {
    const before = fake.server().commands.length
    const error = await sandbox.exec('echo never', { signal: AbortSignal.abort() }).catch((e: unknown) => e)
    expect(isAbortError(error)).toBe(true)
    expect(fake.server().commands.length).toBe(before)
  })

  it('sdkTimeout maps contract timeouts to the SDK', () => {
    expect(sdkTimeout(undefined)).toBe(0)
    expect(sdkTimeout(0)).toBe(1)
    expect(sdkTimeout(1.01)).toBe(2)
    expect(sdkTimeout(1000)).toBe(1000)
    expect(sdkTimeout(Number.POSITIVE_INFINITY)).toBe(0)
    expect(() => sdkTimeout(-5)).toThrow(InvalidArgumentError)
  })
})

describe('file verbs through the e2b SDK', () => {
  it('writeFile creates missing parents; readFile and readFileBuffer read it back', async () => {
    await sandbox.writeFile('deep/er/note.txt', 'héllo\n')
    expect(await sandbox.readFile('deep/er/note.txt')).toBe('héllo\n')
    expect(await fs.readFile(path.join(sandbox.cwd, 'deep/er/note.txt'), 'utf8')).toBe('héllo\n')
  })

  it('round-trips arbitrary bytes', async () => {
    const bytes = new Uint8Array(256).map((_, i) => i)
    await sandbox.writeFile('/'.concat(sandbox.cwd.slice(1), '/bin.dat'), bytes)
    const back = await sandbox.readFileBuffer('bin.dat')
    expect(back).toBeInstanceOf(Uint8Array)
    expect([...back]).toEqual([...bytes])
  })

  it('writes and reads an empty file', async () => {
    await sandbox.writeFile('empty.txt', '')
    expect(await sandbox.readFile('empty.txt')).toBe('')
    expect((await sandbox.readFileBuffer('empty.txt')).byteLength).toBe(0)
  })

  it('writeFile replaces an existing file', async () => {
    await sandbox.writeFile('replace.txt', 'a long first version')
    await sandbox.writeFile('replace.txt', 'short')
    expect(await sandbox.readFile('replace.txt')).toBe('short')
  })

  it('readFile: ENOENT when missing, EISDIR for a directory, ENOTDIR through a file', async () => {
    expect((await fileError(sandbox.readFile('missing.txt'))).errno).toBe('ENOENT')
    expect((await fileError(sandbox.readFileBuffer('missing.txt'))).errno).toBe('ENOENT')
    await sandbox.mkdir('a-dir', { recursive: true })
    expect((await fileError(sandbox.readFile('a-dir'))).errno).toBe('EISDIR')
    await sandbox.writeFile('plain.txt', 'x')
    expect((await fileError(sandbox.readFile('plain.txt/inner'))).errno).toBe('ENOTDIR')
  })

  it('writeFile onto a directory is EISDIR and changes nothing', async () => {
    await sandbox.mkdir('target-dir', { recursive: true })
    await sandbox.writeFile('target-dir/keep.txt', 'keep')
    const error = await fileError(sandbox.writeFile('target-dir', 'x'))
    expect(error.errno).toBe('EISDIR')
    expect(error.path).toBe(`${sandbox.cwd}/target-dir`)
    expect(await sandbox.readdir('target-dir')).toEqual(['keep.txt'])
  })

  it('writeFile below a file is ENOTDIR and writes nothing', async () => {
    await sandbox.writeFile('blocker.txt', 'file')
    const error = await fileError(sandbox.writeFile('blocker.txt/child.txt', 'x'))
    expect(error.errno).toBe('ENOTDIR')
    expect(await sandbox.readFile('blocker.txt')).toBe('file')
  })

  it('stat reports kind, size and mtime from envd', async () => {
    await sandbox.writeFile('stat/file.txt', '12345')
    const file = await sandbox.stat('stat/file.txt')
    expect(file).toMatchObject({ isFile: true, isDirectory: false, isSymbolicLink: false, size: 5 })
    const hostMtime = (await fs.stat(path.join(sandbox.cwd, 'stat/file.txt'))).mtime
    expect(file.mtime?.getTime()).toBe(hostMtime.getTime())
    const dir = await sandbox.stat('stat')
    expect(dir).toMatchObject({ isFile: false, isDirectory: true, isSymbolicLink: false })
    expect((await fileError(sandbox.stat('stat/none'))).errno).toBe('ENOENT')
  })

  it('stat of a symlink describes the target and flags the link', async () => {
    await sandbox.writeFile('links/target.txt', 'target contents')
    await fs.symlink('target.txt', path.join(sandbox.cwd, 'links/link.txt'))
    const stat = await sandbox.stat('links/link.txt')
    expect(stat).toMatchObject({ isFile: true, isDirectory: false, isSymbolicLink: true, size: 15 })
    await fs.symlink('nowhere', path.join(sandbox.cwd, 'links/dangling'))
    expect((await fileError(sandbox.stat('links/dangling'))).errno).toBe('ENOENT')
    expect(await sandbox.exists('links/dangling')).toBe(false)
  })

  it('readdir lists names only, sorted; ENOENT when missing, ENOTDIR for a file', async () => {
    for (const name of ['b.txt', 'a.txt', 'C.txt']) await sandbox.writeFile(`list/${name}`, name)
    await sandbox.mkdir('list/zdir', { recursive: true })
    expect(await sandbox.readdir('list')).toEqual(['C.txt', 'a.txt', 'b.txt', 'zdir'])
    expect((await fileError(sandbox.readdir('list-missing'))).errno).toBe('ENOENT')
    expect((await fileError(sandbox.readdir('list/a.txt'))).errno).toBe('ENOTDIR')
  })

  it('exists is true for files and directories, false otherwise, and never rejects', async () => {
    await sandbox.writeFile('exists/file', 'x')
    expect(await sandbox.exists('exists/file')).toBe(true)
    expect(await sandbox.exists('exists')).toBe(true)
    expect(await sandbox.exists('exists/nothing')).toBe(false)
    expect(await sandbox.exists('exists/file/below')).toBe(false)
    // Outside the fake server's root: the server refuses; exists still resolves false.
    expect(await sandbox.exists('/etc/passwd')).toBe(false)
    expect(await sandbox.exists('\0bad')).toBe(false)
  })

  it('mkdir creates one directory: EEXIST if it exists, ENOENT without the parent', async () => {
    await sandbox.mkdir('mk')
    expect((await sandbox.stat('mk')).isDirectory).toBe(true)
    expect((await fileError(sandbox.mkdir('mk'))).errno).toBe('EEXIST')
    expect((await fileError(sandbox.mkdir('mk/missing/child'))).errno).toBe('ENOENT')
    expect(await sandbox.exists('mk/missing')).toBe(false)
    await sandbox.writeFile('mk/file', 'x')
    expect((await fileError(sandbox.mkdir('mk/file'))).errno).toBe('EEXIST')
    expect((await fileError(sandbox.mkdir('mk/file/child'))).errno).toBe('ENOTDIR')
  })

  it('mkdir recursive creates parents, accepts an existing directory, EEXIST for a file in the way', async () => {
    await sandbox.mkdir('mkr/a/b/c', { recursive: true })
    expect((await sandbox.stat('mkr/a/b/c')).isDirectory).toBe(true)
    await sandbox.mkdir('mkr/a/b/c', { recursive: true })
    await sandbox.writeFile('mkr/file', 'x')
    expect((await fileError(sandbox.mkdir('mkr/file', { recursive: true }))).errno).toBe('EEXIST')
  })

  it('rm behaves as fs.rm: ENOENT unless force, EISDIR without recursive, recursive removes the tree', async () => {
    expect((await fileError(sandbox.rm('rm-missing'))).errno).toBe('ENOENT')
    await sandbox.rm('rm-missing', { force: true })

    await sandbox.writeFile('rm/file.txt', 'x')
    await sandbox.writeFile('rm/tree/deep/file.txt', 'x')
    await sandbox.mkdir('rm/empty')
    await sandbox.rm('rm/file.txt')
    expect(await sandbox.exists('rm/file.txt')).toBe(false)

    expect((await fileError(sandbox.rm('rm/empty'))).errno).toBe('EISDIR')
    expect((await fileError(sandbox.rm('rm/tree', { force: true }))).errno).toBe('EISDIR')
    expect(await sandbox.exists('rm/tree/deep/file.txt')).toBe(true)

    await sandbox.rm('rm/tree', { recursive: true })
    expect(await sandbox.exists('rm/tree')).toBe(false)
    await sandbox.rm('rm/empty', { recursive: true })
    expect(await sandbox.readdir('rm')).toEqual([])
  })

  it('rm of a symlink to a directory removes the link, not the directory', async () => {
    await sandbox.writeFile('rml/real/inside.txt', 'x')
    await fs.symlink('real', path.join(sandbox.cwd, 'rml/link'))
    await sandbox.rm('rml/link')
    expect(await sandbox.readdir('rml')).toEqual(['real'])
    expect(await sandbox.readFile('rml/real/inside.txt')).toBe('x')
  })

  it('a path refused by the provider is a SandboxProviderError, not a silent success', async () => {
    const error = await sandbox.readFile('/etc/hostname').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SandboxProviderError)
    expect((error as SandboxProviderError).message).toContain('outside this test sandbox')
  })

  it('resolvePath normalises without touching files', () => {
    expect(sandbox.resolvePath('a/./b/../c')).toBe(`${sandbox.cwd}/a/c`)
    expect(sandbox.resolvePath('/x//y/')).toBe('/x/y')
    expect(sandbox.resolvePath('../../../../../../..')).toBe('/')
  })
})
