import { readFile as hostReadFile, stat as hostStat, lstat, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  BUILTIN_SANDBOXES,
  ClosedError,
  InvalidArgumentError,
  type Sandbox,
  SandboxFileError,
  SandboxProviderError,
} from '@pyflue/core'
import { memoryTelemetry, oneSpan } from '@pyflue/test-support'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { VercelApiServer } from '../test/vercel-api-server.js'
import * as pkg from './index.js'
import { createVercelSandbox, vercelSandbox } from './index.js'

let server: VercelApiServer
const open: Sandbox[] = []

beforeAll(async () => {
  server = await VercelApiServer.start()
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((sandbox) => sandbox.close?.()))
})
afterAll(async () => {
  await server.close()
})

async function connect(extra: Parameters<typeof createVercelSandbox>[0] = {}): Promise<Sandbox> {
  const sandbox = await createVercelSandbox({ ...server.credentials, fetch: server.fetch, ...extra })
  open.push(sandbox)
  return sandbox
}

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

async function fileError(promise: Promise<unknown>): Promise<SandboxFileError> {
  const error = await errorOf(promise)
  expect(error).toBeInstanceOf(SandboxFileError)
  return error as SandboxFileError
}

describe('exec through the real SDK', () => {
  it('resolves stdout, stderr and a non-zero exit code as a result', async () => {
    const sandbox = await connect()
    const result = await sandbox.exec('echo out; echo err >&2; exit 3')
    expect(result).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 })
  })

  it('runs in the sandbox cwd by default and resolves a relative cwd against it', async () => {
    const sandbox = await connect()
    await sandbox.mkdir('sub/dir', { recursive: true })
    expect((await sandbox.exec('pwd')).stdout.trim()).toBe(sandbox.cwd)
    expect((await sandbox.exec('pwd', { cwd: 'sub/dir' })).stdout.trim()).toBe(`${sandbox.cwd}/sub/dir`)
  })

  it('layers per-command env over the sandbox env given at creation', async () => {
    const sandbox = await connect({ env: { BASE: 'base', OVER: 'sandbox' } })
    const result = await sandbox.exec('echo "$BASE $OVER $ONLY"', { env: { OVER: 'command', ONLY: 'x' } })
    expect(result.stdout).toBe('base command x\n')
    expect((await sandbox.exec('[ -z "$ONLY" ] && echo unset')).stdout).toBe('unset\n')
  })

  it('keeps multibyte output and large output intact', async () => {
    const sandbox = await connect()
    const result = await sandbox.exec(`printf 'héllo ✓\\n'; head -c 300000 /dev/zero | tr '\\0' 'a'`)
    expect(result.stdout.startsWith('héllo ✓\n')).toBe(true)
    expect(result.stdout.length).toBe('héllo ✓\n'.length + 300000)
  })

  it('resolves exit code 124 with a note when timeoutMs expires, and kills the command', async () => {
    const sandbox = await connect()
    const result = await sandbox.exec('echo started; sleep 60; touch late', { timeoutMs: 3000 })
    expect(result.exitCode).toBe(124)
    expect(result.stdout).toBe('started\n')
    expect(result.stderr).toMatch(/timed out after 3000 ms/)
    await new Promise((done) => setTimeout(done, 200))
    expect(await sandbox.exists('late')).toBe(false)
    expect(server.runningCommands()).toBe(0)
  })

  it("passes timeoutMs to the SDK's own timeout, rounded up to whole milliseconds", async () => {
    const sandbox = await connect()
    const before = server.requests.length
    const result = await sandbox.exec('echo quick', { timeoutMs: 2500.2 })
    expect(result).toEqual({ stdout: 'quick\n', stderr: '', exitCode: 0 })
    const start = server.requests.slice(before).find((r) => r.method === 'POST' && r.path.endsWith('/cmd'))
    expect(JSON.parse(start!.body).timeout).toBe(2501)
  })

  it('timeoutMs 0 and Infinity mean no deadline (a plain command); a negative or NaN one is refused', async () => {
    const sandbox = await connect()
    for (const timeoutMs of [0, Number.POSITIVE_INFINITY]) {
      expect(await sandbox.exec('echo ok', { timeoutMs })).toEqual({
        stdout: 'ok\n',
        stderr: '',
        exitCode: 0,
      })
    }
    await expect(sandbox.exec('true', { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(sandbox.exec('true', { timeoutMs: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('rejects an already-aborted signal before anything reaches the provider', async () => {
    const sandbox = await connect()
    const before = server.requests.length
    const controller = new AbortController()
    controller.abort(new Error('stop'))
    const error = await errorOf(sandbox.exec('touch ran', { signal: controller.signal }))
    expect(error).toMatchObject({ name: 'AbortError' })
    expect((error as { cause?: unknown }).cause).toEqual(new Error('stop'))
    expect(server.requests.length).toBe(before)
  })

  it('an abort rejects promptly with AbortError and kills the remote command', async () => {
    const sandbox = await connect()
    const controller = new AbortController()
    const running = sandbox.exec('sleep 60; touch finished', { signal: controller.signal })
    await new Promise((done) => setTimeout(done, 300))
    const reason = new Error('user cancelled')
    controller.abort(reason)
    const error = await errorOf(running)
    expect(error).toMatchObject({ name: 'AbortError', cause: reason })
    await expect.poll(() => server.runningCommands(), { timeout: 30_000 }).toBe(0)
    expect(server.requests.some((r) => r.path.endsWith('/kill') && JSON.parse(r.body).signal === 9)).toBe(
      true,
    )
    expect(await sandbox.exists('finished')).toBe(false)
  })

  it('a plain command is one streaming request; a deadline or a signal makes it detached (killable)', async () => {
    const sandbox = await connect()
    let before = server.requests.length
    await sandbox.exec('true')
    const plain = server.requests.slice(before)
    expect(plain.map((r) => r.path.replace(/sess_\d+/, 'S'))).toEqual(['/v2/sandboxes/sessions/S/cmd'])
    expect(JSON.parse(plain[0]!.body)).toMatchObject({ command: 'bash', args: ['-c', 'true'], wait: true })
    before = server.requests.length
    await sandbox.exec('true', { signal: new AbortController().signal })
    const detached = server.requests.slice(before)
    expect(JSON.parse(detached[0]!.body).wait).toBeUndefined()
    expect(detached.some((r) => r.path.endsWith('/logs'))).toBe(true)
  })

  it('a command that fails to start is a result, not an exception', async () => {
    const sandbox = await connect()
    const result = await sandbox.exec('definitely-not-a-command-xyz')
    expect(result.exitCode).toBe(127)
    expect(result.stderr).toMatch(/not found/)
  })
})

describe('file verbs through the real SDK', () => {
  it('writeFile creates missing parents; readFile and readFileBuffer read back', async () => {
    const sandbox = await connect()
    await sandbox.writeFile('deep/er/file.txt', 'héllo\n')
    expect(await sandbox.readFile('deep/er/file.txt')).toBe('héllo\n')
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    await sandbox.writeFile(`${sandbox.cwd}/bin.dat`, bytes)
    const back = await sandbox.readFileBuffer('bin.dat')
    expect(back).toBeInstanceOf(Uint8Array)
    expect([...back]).toEqual([...bytes])
    await sandbox.writeFile('deep/er/file.txt', 'replaced')
    expect(await sandbox.readFile('./deep/../deep/er/file.txt')).toBe('replaced')
  })

  it('writeFile refuses a directory with EISDIR and leaves it alone', async () => {
    const sandbox = await connect()
    await sandbox.mkdir('dir')
    const error = await fileError(sandbox.writeFile('dir', 'x'))
    expect(error).toMatchObject({ errno: 'EISDIR', path: `${sandbox.cwd}/dir`, operation: 'writeFile' })
    expect((await sandbox.stat('dir')).isDirectory).toBe(true)
  })

  it('writeFile through a symlink replaces the target, as Node does', async () => {
    const sandbox = await connect()
    await sandbox.writeFile('target.txt', 'old')
    await symlink('target.txt', join(sandbox.cwd, 'link.txt'))
    await sandbox.writeFile('link.txt', 'new')
    expect(await sandbox.readFile('target.txt')).toBe('new')
    expect((await lstat(join(sandbox.cwd, 'link.txt'))).isSymbolicLink()).toBe(true)
  })

  it('writeFile keeps the permissions of a file it replaces', async () => {
    const sandbox = await connect()
    await sandbox.writeFile('run.sh', 'echo one')
    await sandbox.exec('chmod 750 run.sh')
    await sandbox.writeFile('run.sh', 'echo two')
    expect((await sandbox.exec('stat -c %a run.sh')).stdout.trim()).toBe('750')
    expect((await sandbox.exec('./run.sh')).stdout).toBe('two\n')
  })

  it('writeFile under a file is ENOTDIR', async () => {
    const sandbox = await connect()
    await sandbox.writeFile('plain', 'x')
    expect((await fileError(sandbox.writeFile('plain/child', 'y'))).errno).toBe('ENOTDIR')
  })

  it('readFile: ENOENT for a missing file, EISDIR for a directory, ENOTDIR under a file', async () => {
    const sandbox = await connect()
    await sandbox.mkdir('d')
    await sandbox.writeFile('f', 'x')
    expect(await fileError(sandbox.readFile('missing'))).toMatchObject({
      errno: 'ENOENT',
      path: `${sandbox.cwd}/missing`,
    })
    expect((await fileError(sandbox.readFile('d'))).errno).toBe('EISDIR')
    expect((await fileError(sandbox.readFileBuffer('d'))).errno).toBe('EISDIR')
    expect((await fileError(sandbox.readFile('f/x'))).errno).toBe('ENOTDIR')
  })

  it('stat reports what the sandbox reports: kind, size, mtime, symlink', async () => {
    const sandbox = await connect()
    await sandbox.writeFile('s.txt', '12345')
    await sandbox.mkdir('sd')
    await symlink('s.txt', join(sandbox.cwd, 'sl'))
    const file = await sandbox.stat('s.txt')
    const host = await hostStat(join(sandbox.cwd, 's.txt'))
    expect(file).toEqual({
      isFile: true,
      isDirectory: false,
      isSymbolicLink: false,
      size: 5,
      mtime: new Date(Math.round(host.mtimeMs)),
    })
    expect(await sandbox.stat('sd')).toMatchObject({
      isFile: false,
      isDirectory: true,
      isSymbolicLink: false,
    })
    expect(await sandbox.stat('sl')).toMatchObject({ isFile: true, isSymbolicLink: true, size: 5 })
    expect((await fileError(sandbox.stat('nothing'))).errno).toBe('ENOENT')
    await symlink('gone', join(sandbox.cwd, 'broken'))
    expect((await fileError(sandbox.stat('broken'))).errno).toBe('ENOENT')
  })

  it('readdir lists names only, sorted, dotfiles and odd names included', async () => {
    const sandbox = await connect()
    for (const name of ['b', 'a', '.hidden', 'with space', 'new\nline', '$(x)']) {
      await sandbox.writeFile(`list/${name}`, '')
    }
    await sandbox.mkdir('list/sub')
    expect(await sandbox.readdir('list')).toEqual(
      ['$(x)', '.hidden', 'a', 'b', 'new\nline', 'sub', 'with space'].sort(),
    )
    expect(await sandbox.readdir('list/sub')).toEqual([])
    expect((await fileError(sandbox.readdir('nope'))).errno).toBe('ENOENT')
    expect((await fileError(sandbox.readdir('list/a'))).errno).toBe('ENOTDIR')
  })

  it('exists is true for files and directories, false otherwise, and never rejects', async () => {
    const sandbox = await connect()
    await sandbox.writeFile('e/x', '')
    expect(await sandbox.exists('e')).toBe(true)
    expect(await sandbox.exists('e/x')).toBe(true)
    expect(await sandbox.exists('e/y')).toBe(false)
    expect(await sandbox.exists('e/x/under-a-file')).toBe(false)
    expect(await sandbox.exists('')).toBe(true)
    server.failNext({ status: 403, code: 'forbidden', message: 'token expired' })
    expect(await sandbox.exists('e/x')).toBe(false)
  })

  it('mkdir: one level, EEXIST, ENOENT, ENOTDIR; recursive creates parents and accepts a directory', async () => {
    const sandbox = await connect()
    await sandbox.mkdir('m')
    expect((await sandbox.stat('m')).isDirectory).toBe(true)
    expect((await fileError(sandbox.mkdir('m'))).errno).toBe('EEXIST')
    expect((await fileError(sandbox.mkdir('no/parent'))).errno).toBe('ENOENT')
    expect(await sandbox.exists('no')).toBe(false)
    await sandbox.mkdir('r/s/t', { recursive: true })
    await sandbox.mkdir('r/s/t', { recursive: true })
    expect((await sandbox.stat('r/s/t')).isDirectory).toBe(true)
    await sandbox.writeFile('file', 'x')
    expect((await fileError(sandbox.mkdir('file'))).errno).toBe('EEXIST')
    expect((await fileError(sandbox.mkdir('file', { recursive: true }))).errno).toBe('EEXIST')
    expect((await fileError(sandbox.mkdir('file/sub'))).errno).toBe('ENOTDIR')
    expect((await fileError(sandbox.mkdir('file/sub/deeper', { recursive: true }))).errno).toBe('ENOTDIR')
    expect(await sandbox.readFile('file')).toBe('x')
  })

  it('rm follows fs.rm exactly: ENOENT unless force, EISDIR without recursive even with force', async () => {
    const sandbox = await connect()
    expect((await fileError(sandbox.rm('missing'))).errno).toBe('ENOENT')
    await sandbox.rm('missing', { force: true })
    await sandbox.writeFile('tree/a/b.txt', 'x')
    expect((await fileError(sandbox.rm('tree'))).errno).toBe('EISDIR')
    expect((await fileError(sandbox.rm('tree', { force: true }))).errno).toBe('EISDIR')
    expect(await sandbox.readFile('tree/a/b.txt')).toBe('x')
    await sandbox.rm('tree/a/b.txt')
    expect(await sandbox.exists('tree/a/b.txt')).toBe(false)
    await sandbox.rm('tree', { recursive: true })
    expect(await sandbox.exists('tree')).toBe(false)
  })

  it('rm of a symlink to a directory removes the link, not the directory', async () => {
    const sandbox = await connect()
    await sandbox.writeFile('real/keep.txt', 'k')
    await symlink('real', join(sandbox.cwd, 'alias'))
    await sandbox.rm('alias')
    expect(await sandbox.readFile('real/keep.txt')).toBe('k')
    expect(await sandbox.exists('alias')).toBe(false)
  })

  it('resolvePath normalises without touching files', async () => {
    const sandbox = await connect()
    expect(sandbox.resolvePath('a/./b/../c')).toBe(`${sandbox.cwd}/a/c`)
    expect(sandbox.resolvePath('/x//y/')).toBe('/x/y')
  })
})

describe('factory, identity and lifetime', () => {
  it("vercelSandbox() needs no arguments, is named 'vercel' and does no work until createSandbox", async () => {
    const before = server.requests.length
    const factory = vercelSandbox()
    expect(factory.name).toBe('vercel')
    expect(typeof factory.createSandbox).toBe('function')
    expect(server.requests.length).toBe(before)
    expect(typeof (pkg as Record<string, unknown>)[BUILTIN_SANDBOXES.vercel!.exportName]).toBe('function')
  })

  it('createSandbox creates a sandbox with the runtime, lifetime, env and resources asked for', async () => {
    const factory = vercelSandbox({
      ...server.credentials,
      fetch: server.fetch,
      runtime: 'python3.13',
      timeoutMs: 60_000.5,
      env: { A: '1' },
      vcpus: 4,
      tags: { team: 'ai' },
    })
    const before = server.requests.length
    const sandbox = await factory.createSandbox({ id: 'session-1' })
    open.push(sandbox)
    expect(sandbox).toMatchObject({ name: 'vercel', contractVersion: 1 })
    const create = server.requests.slice(before).find((r) => r.method === 'POST')!
    expect(create.path).toBe('/v2/sandboxes')
    expect(JSON.parse(create.body)).toMatchObject({
      projectId: server.credentials.projectId,
      runtime: 'python3.13',
      timeout: 60_001,
      env: { A: '1' },
      resources: { vcpus: 4 },
      tags: { team: 'ai' },
    })
    expect(server.sandboxes.has(sandbox.id!)).toBe(true)
  })

  it('takes VERCEL_TOKEN + VERCEL_TEAM_ID + VERCEL_PROJECT_ID from the environment when no credentials are passed', async () => {
    const saved = { ...process.env }
    process.env.VERCEL_TOKEN = server.credentials.token
    process.env.VERCEL_TEAM_ID = server.credentials.teamId
    process.env.VERCEL_PROJECT_ID = server.credentials.projectId
    delete process.env.VERCEL_OIDC_TOKEN
    try {
      const sandbox = await vercelSandbox({ fetch: server.fetch }).createSandbox({ id: 'env-session' })
      open.push(sandbox)
      expect((await sandbox.exec('echo via env')).stdout).toBe('via env\n')
    } finally {
      for (const key of ['VERCEL_TOKEN', 'VERCEL_TEAM_ID', 'VERCEL_PROJECT_ID', 'VERCEL_OIDC_TOKEN']) {
        if (saved[key] === undefined) delete process.env[key]
        else process.env[key] = saved[key]
      }
    }
  })

  it('nameFromId keys the sandbox on the session id: the same session finds its sandbox again', async () => {
    const factory = vercelSandbox({
      ...server.credentials,
      fetch: server.fetch,
      nameFromId: (id) => `pyflue-${id}`,
    })
    const first = await factory.createSandbox({ id: 'chat-42' })
    open.push(first)
    expect(first.id).toBe('pyflue-chat-42')
    await first.writeFile('memory.txt', 'remembered')
    await first.close()
    const creates = server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/sandboxes')).length
    const again = await factory.createSandbox({ id: 'chat-42' })
    open.push(again)
    expect(again.id).toBe('pyflue-chat-42')
    expect(await again.readFile('memory.txt')).toBe('remembered')
    expect(server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/sandboxes')).length).toBe(
      creates,
    )
    const other = await factory.createSandbox({ id: 'chat-43' })
    open.push(other)
    expect(await other.exists('memory.txt')).toBe(false)
  })

  it('nameFromId does not create over a failure other than "not found"', async () => {
    const factory = vercelSandbox({
      ...server.credentials,
      fetch: server.fetch,
      nameFromId: (id) => `k-${id}`,
    })
    server.failNext({ status: 403, code: 'forbidden', message: 'no access to this sandbox' })
    const before = server.sandboxes.size
    const error = await errorOf(factory.createSandbox({ id: 'x' }))
    expect(error).toMatchObject({ failure: 'auth' })
    expect(server.sandboxes.size).toBe(before)
  })

  it('connects to an existing sandbox by id and sees its files', async () => {
    const first = await connect()
    await first.writeFile('shared.txt', 'from first')
    const second = await connect({ sandboxId: first.id! })
    expect(second.id).toBe(first.id)
    expect(second.cwd).toBe(first.cwd)
    expect(await second.readFile('shared.txt')).toBe('from first')
    expect(server.sandboxes.size).toBeGreaterThan(0)
  })

  it('close() disconnects and leaves the sandbox running; verbs then throw ClosedError; twice is a no-op', async () => {
    const sandbox = await connect()
    const id = sandbox.id!
    const before = server.requests.length
    await sandbox.close!()
    await sandbox.close!()
    expect(server.requests.slice(before)).toEqual([])
    expect(server.sessionStatus(id)).toBe('running')
    await expect(sandbox.exec('true')).rejects.toBeInstanceOf(ClosedError)
    await expect(sandbox.readFile('x')).rejects.toBeInstanceOf(ClosedError)
    expect(await sandbox.exists('.')).toBe(false)
    const again = await connect({ sandboxId: id })
    expect((await again.exec('echo alive')).stdout).toBe('alive\n')
  })

  it('close({ kill: true }) stops the sandbox; so does close() with stopOnClose', async () => {
    const killed = await connect()
    await killed.close!({ kill: true })
    expect(server.sessionStatus(killed.id!)).toBe('stopped')
    const stopping = await connect({ stopOnClose: true })
    await stopping.close!()
    expect(server.sessionStatus(stopping.id!)).toBe('stopped')
  })

  it('killOnClose stops on a plain close(); stopOnClose is its deprecated alias; both is an error', async () => {
    const stopping = await connect({ killOnClose: true })
    await stopping.close!()
    expect(server.sessionStatus(stopping.id!)).toBe('stopped')
    const before = server.requests.length
    expect(() => vercelSandbox({ killOnClose: true, stopOnClose: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'killOnClose' }),
    )
    await expect(connect({ killOnClose: false, stopOnClose: true })).rejects.toMatchObject({
      argument: 'killOnClose',
    })
    expect(server.requests.length).toBe(before)
  })

  it('a stopped sandbox is a SandboxProviderError that keeps the provider message', async () => {
    const first = await connect()
    const again = await connect({ sandboxId: first.id! })
    await first.close!({ kill: true })
    const error = await errorOf(again.exec('true'))
    expect(error).toBeInstanceOf(SandboxProviderError)
    expect(error).toMatchObject({ provider: 'vercel', failure: 'not-found' })
    expect((error as Error).message).toMatch(/is stopped/)
  })

  it('honours a cwd option', async () => {
    const base = await connect()
    await base.mkdir('work')
    const sandbox = await connect({ sandboxId: base.id!, cwd: `${base.cwd}/work` })
    expect(sandbox.cwd).toBe(`${base.cwd}/work`)
    await sandbox.writeFile('here.txt', 'h')
    expect(await hostReadFile(join(base.cwd, 'work', 'here.txt'), 'utf8')).toBe('h')
  })
})

describe('provider failures become SandboxProviderError with the message kept', () => {
  it('auth: a wrong token', async () => {
    const error = await errorOf(
      createVercelSandbox({ ...server.credentials, token: 'wrong', fetch: server.fetch }),
    )
    expect(error).toBeInstanceOf(SandboxProviderError)
    expect(error).toMatchObject({ code: 'SANDBOX_PROVIDER', provider: 'vercel', failure: 'auth' })
    expect((error as Error).message).toMatch(/token is invalid or has expired/)
  })

  it('quota: 429 from the API', async () => {
    server.failNext({ status: 429, code: 'rate_limited', message: 'Too many sandboxes', retryAfter: 60 })
    const error = await errorOf(createVercelSandbox({ ...server.credentials, fetch: server.fetch }))
    expect(error).toMatchObject({ failure: 'quota' })
    expect((error as Error).message).toMatch(/Too many sandboxes/)
  })

  it('not found: an unknown sandbox id', async () => {
    const error = await errorOf(
      createVercelSandbox({ ...server.credentials, fetch: server.fetch, sandboxId: 'no-such-sandbox' }),
    )
    expect(error).toMatchObject({ failure: 'not-found' })
    expect((error as Error).message).toMatch(/Sandbox no-such-sandbox not found/)
  })

  it('network: nothing listening', async () => {
    const dead = await VercelApiServer.start()
    const deadFetch = dead.fetch
    await dead.close()
    const error = await errorOf(createVercelSandbox({ ...server.credentials, fetch: deadFetch }))
    expect(error).toMatchObject({ failure: 'network' })
  }, 15_000)

  it('a failure during a file verb is a provider error, not a made-up errno', async () => {
    const sandbox = await connect()
    server.failNext({ status: 403, code: 'forbidden', message: 'token revoked' })
    const error = await errorOf(sandbox.stat('anything'))
    expect(error).toBeInstanceOf(SandboxProviderError)
    expect((error as Error).message).toMatch(/token revoked/)
  })
})

describe('options are checked eagerly', () => {
  it.each([
    [{ runtime: 'node24', image: 'x' }, 'image'],
    [{ token: 't' }, 'token'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ vcpus: -1 }, 'vcpus'],
    [{ cwd: 'relative' }, 'cwd'],
    [{ sandboxId: '' }, 'sandboxId'],
    [{ nameFromId: 'x' }, 'nameFromId'],
    [{ nameFromId: (id: string) => id, sandboxId: 'a' }, 'nameFromId'],
  ] as const)('%o is refused naming %s', (options, argument) => {
    let thrown: unknown
    try {
      vercelSandbox(options as Parameters<typeof vercelSandbox>[0])
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError)
    expect(thrown).toMatchObject({ argument })
  })
})

describe('paths no file can have', () => {
  it('a NUL byte is PathRefusedError and changes nothing; exists is false', async () => {
    const sandbox = await connect()
    const before = server.requests.length
    const error = await errorOf(sandbox.writeFile('a\0b', 'x'))
    expect(error).toMatchObject({ code: 'PATH_REFUSED', reason: 'invalid' })
    await expect(sandbox.readFile('a\0b')).rejects.toMatchObject({ code: 'PATH_REFUSED' })
    await expect(sandbox.rm('a\0b', { force: true })).rejects.toMatchObject({ code: 'PATH_REFUSED' })
    expect(await sandbox.exists('a\0b')).toBe(false)
    expect(server.requests.slice(before).some((r) => r.path.endsWith('/fs/write'))).toBe(false)
    expect(server.requests.slice(before).some((r) => r.body.includes('\\u0000'))).toBe(false)
    expect(await sandbox.readdir('.')).toEqual([])
  })
})

describe('telemetry', () => {
  it('a sandbox made with telemetry traces its commands and files; unknown keys are refused', async () => {
    const otel = memoryTelemetry()
    const sandbox = await connect({ telemetry: { tracer: otel.tracer } })
    expect((await sandbox.exec('echo hi')).exitCode).toBe(0)
    await sandbox.writeFile('note.txt', 'x')
    expect(oneSpan(otel.spans(), 'pyflue.sandbox.exec').attributes).toMatchObject({
      'pyflue.sandbox.name': 'vercel',
      'pyflue.sandbox.command': 'echo',
      'pyflue.sandbox.exit_code': 0,
    })
    expect(oneSpan(otel.spans(), 'pyflue.sandbox.file').attributes).toMatchObject({
      'pyflue.sandbox.operation': 'writeFile',
      'pyflue.sandbox.path': sandbox.resolvePath('note.txt'),
    })
    expect(() => vercelSandbox({ telemetry: { tracr: {} } as never })).toThrow(/Did you mean `tracer`/)
  })
})
