import { createServer } from 'node:net'
import {
  BUILTIN_SANDBOXES,
  ClosedError,
  InvalidArgumentError,
  isAbortError,
  PyFlueRegistry,
  SANDBOX_CONTRACT_VERSION,
  SandboxProviderError,
} from '@pyflue/core'
import { memoryTelemetry, oneSpan } from '@pyflue/test-support'
import { Sandbox as E2BSdkSandbox } from 'e2b'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useFakeE2B } from '../test/fake-e2b-context.js'
import { FAKE_API_KEY } from '../test/fake-e2b-server.js'
import * as pkg from './index.js'
import { connectE2BSandbox, E2B_DEFAULT_CWD, e2bSandbox, fromE2BSdkSandbox } from './index.js'

const fake = useFakeE2B()

async function providerError(promise: Promise<unknown>): Promise<SandboxProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SandboxProviderError)
  return error as SandboxProviderError
}

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('e2bSandbox factory', () => {
  it("is a SandboxFactory named 'e2b' and the export the core registry expects", () => {
    const factory = e2bSandbox()
    expect(factory.name).toBe('e2b')
    expect(typeof factory.createSandbox).toBe('function')
    expect(BUILTIN_SANDBOXES.e2b?.packageName).toBe('@pyflue/sandbox-e2b')
    const exportName = BUILTIN_SANDBOXES.e2b!.exportName
    expect((pkg as Record<string, unknown>)[exportName]).toBe(e2bSandbox)
  })

  it('resolves through a registry and creates a sandbox with credentials from the environment', async () => {
    vi.stubEnv('E2B_API_KEY', FAKE_API_KEY)
    vi.stubEnv('E2B_API_URL', fake.server().url)
    vi.stubEnv('E2B_SANDBOX_URL', fake.server().url)
    const registry = new PyFlueRegistry()
    registry.registerSandbox('e2b', () => pkg.e2bSandbox())
    const factory = await registry.resolveSandbox('e2b')
    const sandbox = await factory.createSandbox({ id: 'session-env' })
    expect(sandbox.name).toBe('e2b')
    expect(sandbox.contractVersion).toBe(SANDBOX_CONTRACT_VERSION)
    expect(sandbox.cwd).toBe(E2B_DEFAULT_CWD)
    const record = fake.server().sandboxes.get(sandbox.id!)
    expect(record?.metadata).toEqual({ pyflueSessionId: 'session-env' })
    expect(record?.killed).toBe(false)
    // The API key stays on the host: commands in the sandbox do not see it.
    const result = await sandbox.exec('echo "[$E2B_API_KEY]"', { cwd: fake.server().workdir })
    expect(result.stdout).toBe('[]\n')
  })

  it('creates with template, lifetime, env and metadata, and commands see the env', async () => {
    const factory = e2bSandbox(
      fake.options({
        template: 'python-3.12',
        timeoutMs: 300_000,
        envs: { PROJECT: 'pyflue' },
        metadata: { owner: 'tests' },
      }),
    )
    const sandbox = await factory.createSandbox({ id: 'session-1' })
    const record = fake.server().sandboxes.get(sandbox.id!)!
    expect(record.templateID).toBe('python-3.12')
    expect(record.timeout).toBe(300)
    expect(record.envVars).toEqual({ PROJECT: 'pyflue' })
    expect(record.metadata).toEqual({ owner: 'tests', pyflueSessionId: 'session-1' })
    expect((await sandbox.exec('echo $PROJECT')).stdout).toBe('pyflue\n')
  })

  it('env is the environment of a new sandbox; envs is its deprecated alias; both is an error', async () => {
    const withEnv = await e2bSandbox(fake.options({ env: { NAME: 'new' } })).createSandbox({ id: 'e1' })
    expect((await withEnv.exec('echo $NAME')).stdout).toBe('new\n')
    const withEnvs = await e2bSandbox(fake.options({ envs: { NAME: 'old' } })).createSandbox({ id: 'e2' })
    expect((await withEnvs.exec('echo $NAME')).stdout).toBe('old\n')
    const count = fake.server().sandboxes.size
    expect(() => e2bSandbox(fake.options({ env: { A: '1' }, envs: { A: '1' } }))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'env' }),
    )
    await expect(connectE2BSandbox(fake.options({ env: {}, envs: {} }))).rejects.toMatchObject({
      argument: 'env',
    })
    expect(fake.server().sandboxes.size).toBe(count)
  })

  it('connects to an existing sandbox by id without creating one', async () => {
    const existing = fake.server().addSandbox('sbx-existing')
    const count = fake.server().sandboxes.size
    const sandbox = await e2bSandbox(
      fake.options({ sandboxId: 'sbx-existing', timeoutMs: 60_000 }),
    ).createSandbox({
      id: 'session-2',
    })
    expect(sandbox.id).toBe('sbx-existing')
    expect(existing.connects).toBe(1)
    expect(existing.timeout).toBe(60)
    expect(fake.server().sandboxes.size).toBe(count)
    expect((await sandbox.exec('echo connected')).stdout).toBe('connected\n')
  })

  it('creates a new sandbox on every createSandbox by default', async () => {
    const factory = e2bSandbox(fake.options())
    const first = await factory.createSandbox({ id: 'same-session' })
    const second = await factory.createSandbox({ id: 'same-session' })
    expect(second.id).not.toBe(first.id)
  })

  it('reuseBySessionId reconnects to the session sandbox, also from another factory, until it is killed', async () => {
    const before = fake.server().sandboxes.size
    const first = await e2bSandbox(fake.options({ reuseBySessionId: true })).createSandbox({
      id: 'resumable',
    })
    await first.writeFile('state.txt', 'kept')
    await first.close!()
    const again = await e2bSandbox(fake.options({ reuseBySessionId: true })).createSandbox({
      id: 'resumable',
    })
    expect(again.id).toBe(first.id)
    expect(await again.readFile('state.txt')).toBe('kept')
    expect(fake.server().sandboxes.get(first.id!)?.connects).toBe(1)
    expect(fake.server().sandboxes.size).toBe(before + 1)
    const other = await e2bSandbox(fake.options({ reuseBySessionId: true })).createSandbox({
      id: 'other-session',
    })
    expect(other.id).not.toBe(first.id)

    await again.close!({ kill: true })
    const fresh = await e2bSandbox(fake.options({ reuseBySessionId: true })).createSandbox({
      id: 'resumable',
    })
    expect(fresh.id).not.toBe(first.id)
    expect(fake.server().sandboxes.get(fresh.id!)?.metadata.pyflueSessionId).toBe('resumable')
  })

  it('reuseBySessionId reports a failed lookup as a SandboxProviderError', async () => {
    const error = await providerError(
      e2bSandbox(fake.options({ reuseBySessionId: true, apiKey: 'e2b_wrong' })).createSandbox({ id: 'x' }),
    )
    expect(error.failure).toBe('auth')
  })

  it('close() leaves the provider sandbox running; close twice is a no-op', async () => {
    const sandbox = await fake.sandbox()
    await sandbox.close!()
    await sandbox.close!()
    expect(fake.server().sandboxes.get(sandbox.id!)?.killed).toBe(false)
    const again = await connectE2BSandbox(fake.options({ sandboxId: sandbox.id! }))
    expect((await again.exec('echo still here')).stdout).toBe('still here\n')
  })

  it('after close() every verb rejects with ClosedError before any request; exists is false', async () => {
    const sandbox = await fake.sandbox()
    await sandbox.writeFile('kept.txt', 'kept')
    await sandbox.close!()
    const verbs: Array<() => Promise<unknown>> = [
      () => sandbox.exec('echo no'),
      () => sandbox.readFile('kept.txt'),
      () => sandbox.readFileBuffer('kept.txt'),
      () => sandbox.writeFile('new.txt', 'no'),
      () => sandbox.stat('kept.txt'),
      () => sandbox.readdir('.'),
      () => sandbox.mkdir('d'),
      () => sandbox.rm('kept.txt'),
    ]
    for (const verb of verbs) await expect(verb()).rejects.toBeInstanceOf(ClosedError)
    expect(await sandbox.exists('kept.txt')).toBe(false)
    const again = await connectE2BSandbox(fake.options({ sandboxId: sandbox.id! }))
    expect(await again.readFile('kept.txt')).toBe('kept')
    expect(await again.exists('new.txt')).toBe(false)
  })

  it('timeoutMs 0 and Infinity mean no deadline; a negative one is refused', async () => {
    const sandbox = await fake.sandbox()
    for (const timeoutMs of [0, Number.POSITIVE_INFINITY]) {
      expect(await sandbox.exec('echo ok', { timeoutMs })).toMatchObject({ stdout: 'ok\n', exitCode: 0 })
    }
    await expect(sandbox.exec('echo', { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('close({ kill: true }) kills the provider sandbox', async () => {
    const sandbox = await fake.sandbox()
    await sandbox.close!({ kill: true })
    expect(fake.server().sandboxes.get(sandbox.id!)?.killed).toBe(true)
  })

  it('killOnClose kills on a plain close()', async () => {
    const sandbox = await fake.sandbox({ killOnClose: true })
    await sandbox.close!()
    expect(fake.server().sandboxes.get(sandbox.id!)?.killed).toBe(true)
  })

  it('fromE2BSdkSandbox wraps a sandbox already held from the SDK', async () => {
    const sdk = await E2BSdkSandbox.create({
      apiKey: FAKE_API_KEY,
      apiUrl: fake.server().url,
      sandboxUrl: fake.server().url,
    })
    const sandbox = fromE2BSdkSandbox(sdk, { cwd: fake.server().workdir })
    expect(sandbox.id).toBe(sdk.sandboxId)
    expect((await sandbox.exec('echo wrapped')).stdout).toBe('wrapped\n')
    await sandbox.close!()
    expect(fake.server().sandboxes.get(sdk.sandboxId)?.killed).toBe(false)
  })

  it('refuses bad options with InvalidArgumentError before any request', () => {
    expect(() => e2bSandbox({ cwd: 'relative' })).toThrow(InvalidArgumentError)
    expect(() => e2bSandbox({ timeoutMs: -1 })).toThrow(InvalidArgumentError)
    expect(() => e2bSandbox({ requestTimeoutMs: Number.NaN })).toThrow(InvalidArgumentError)
    expect(() => e2bSandbox({ sandboxId: '' })).toThrow(InvalidArgumentError)
    expect(() => e2bSandbox(null as never)).toThrow(InvalidArgumentError)
  })

  it('an aborted signal rejects createSandbox before any request', async () => {
    const count = fake.server().sandboxes.size
    const error = await e2bSandbox(fake.options())
      .createSandbox({ id: 's', signal: AbortSignal.abort() })
      .catch((e: unknown) => e)
    expect(isAbortError(error)).toBe(true)
    expect(fake.server().sandboxes.size).toBe(count)
  })
})

describe('provider errors become SandboxProviderError with the provider message', () => {
  it('a wrong API key is auth', async () => {
    const error = await providerError(connectE2BSandbox(fake.options({ apiKey: 'e2b_wrong' })))
    expect(error.failure).toBe('auth')
    expect(error.provider).toBe('e2b')
    expect(error.code).toBe('SANDBOX_PROVIDER')
    expect(error.message).toContain('Invalid API key, please check your credentials')
  })

  it('a missing API key is auth, named by the SDK', async () => {
    vi.stubEnv('E2B_API_KEY', '')
    const options = fake.options()
    delete options.apiKey
    const error = await providerError(connectE2BSandbox(options))
    expect(error.failure).toBe('auth')
    expect(error.message).toContain('E2B_API_KEY')
  })

  it('a rate limit or exhausted quota is quota', async () => {
    fake.server().failNextApiCall(429, 'You have reached the maximum number of concurrent sandboxes')
    const error = await providerError(connectE2BSandbox(fake.options()))
    expect(error.failure).toBe('quota')
    expect(error.message).toContain('maximum number of concurrent sandboxes')
  })

  it('connecting to an unknown sandbox is not-found', async () => {
    const error = await providerError(connectE2BSandbox(fake.options({ sandboxId: 'sbx-nope' })))
    expect(error.failure).toBe('not-found')
    expect(error.message).toContain('sbx-nope')
  })

  it('using a sandbox that was killed is not-found ("sandbox gone"), for exec and files', async () => {
    const sandbox = await fake.sandbox()
    const killer = await connectE2BSandbox(fake.options({ sandboxId: sandbox.id! }))
    await killer.close!({ kill: true })
    expect((await providerError(sandbox.exec('echo gone'))).failure).toBe('not-found')
    const readError = await providerError(sandbox.readFile('anything.txt'))
    expect(readError.failure).toBe('not-found')
    expect(readError.message).toContain('The sandbox was not found')
    expect(await sandbox.exists('anything.txt')).toBe(false)
  })

  it('an unreachable API is network', async () => {
    const port = await closedPort()
    const url = `http://127.0.0.1:${port}`
    const error = await providerError(connectE2BSandbox(fake.options({ apiUrl: url, sandboxUrl: url })))
    expect(error.failure).toBe('network')
    expect(error.message).toContain('fetch failed')
  })

  it('an unreachable envd is network for exec and file verbs', async () => {
    const sdk = await E2BSdkSandbox.create({
      apiKey: FAKE_API_KEY,
      apiUrl: fake.server().url,
      sandboxUrl: fake.server().url,
    })
    const port = await closedPort()
    const offline = await E2BSdkSandbox.connect(sdk.sandboxId, {
      apiKey: FAKE_API_KEY,
      apiUrl: fake.server().url,
      sandboxUrl: `http://127.0.0.1:${port}`,
    })
    const sandbox = fromE2BSdkSandbox(offline, { cwd: fake.server().workdir })
    expect((await providerError(sandbox.exec('true'))).failure).toBe('network')
    expect((await providerError(sandbox.readFile('x'))).failure).toBe('network')
    expect((await providerError(sandbox.stat('x'))).failure).toBe('network')
    expect(await sandbox.exists('x')).toBe(false)
  })
})

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('telemetry', () => {
  it('a sandbox made with telemetry traces its commands and files; unknown keys are refused', async () => {
    const otel = memoryTelemetry()
    const sandbox = await connectE2BSandbox(fake.options({ telemetry: { tracer: otel.tracer } }))
    expect((await sandbox.exec('echo hi')).exitCode).toBe(0)
    await sandbox.writeFile('note.txt', 'x')
    await sandbox.close?.({ kill: true })
    expect(oneSpan(otel.spans(), 'pyflue.sandbox.exec').attributes).toMatchObject({
      'pyflue.sandbox.name': 'e2b',
      'pyflue.sandbox.command': 'echo',
      'pyflue.sandbox.exit_code': 0,
    })
    expect(oneSpan(otel.spans(), 'pyflue.sandbox.file').attributes).toMatchObject({
      'pyflue.sandbox.operation': 'writeFile',
      'pyflue.sandbox.path': sandbox.resolvePath('note.txt'),
    })
    expect(() => e2bSandbox({ telemetry: { tracr: {} } as never })).toThrow(/Did you mean `tracer`/)
  })
})
