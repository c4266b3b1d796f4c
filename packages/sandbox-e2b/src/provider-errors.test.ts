/**
 * What the local server cannot reproduce faithfully (a sandbox reaching its end of life in the
 * middle of a command, envd's per-user file permissions, a full disk, a busy provider) is covered
 * here against a stand-in for the SDK's sandbox that throws the SDK's own error classes, built
 * exactly as the SDK builds them.
 */
import { SandboxFileError, SandboxProviderError } from '@pyflue/core'
import type { Sandbox as E2BSdkSandbox } from 'e2b'
import {
  AuthenticationError,
  FileNotFoundError,
  NotEnoughSpaceError,
  RateLimitError,
  SandboxError,
  SandboxNotFoundError,
  ServiceBusyError,
  TimeoutError,
} from 'e2b'
import { describe, expect, it } from 'vitest'
import { fromE2BSdkSandbox } from './e2b-sandbox.js'
import { classifyE2BError, toSandboxProviderError } from './provider-errors.js'

/** The SDK's TimeoutError for a sandbox that ended while a request was in flight. */
const endOfLife = () =>
  new TimeoutError(
    'terminated: The sandbox was killed or reached its end of life while the request was in flight.',
  )
/** The SDK's TimeoutError for envd answering 502 (sandbox gone): see formatSandboxTimeoutError. */
const sandboxTimeout = () =>
  new TimeoutError(
    "502: The sandbox was not found: This error is likely due to sandbox timeout. You can modify the sandbox timeout by passing 'timeoutMs' when starting the sandbox or calling '.setTimeout' on the sandbox with the desired timeout.",
  )

/** A stand-in for the SDK's `Sandbox` whose every call throws `error`. */
function throwingSdk(error: () => Error): E2BSdkSandbox {
  const fail = async () => {
    throw error()
  }
  return {
    sandboxId: 'sbx-stand-in',
    files: { read: fail, write: fail, getInfo: fail, list: fail, makeDir: fail, remove: fail },
    commands: { run: fail },
    kill: fail,
  } as unknown as E2BSdkSandbox
}

describe('classifyE2BError', () => {
  it.each([
    ['auth', new AuthenticationError('Unauthorized, please check your credentials.')],
    ['quota', new RateLimitError('Rate limit exceeded, please try again later')],
    ['quota', new NotEnoughSpaceError('not enough disk space available')],
    ['quota', new ServiceBusyError('Service temporarily unavailable, please retry')],
    ['not-found', new SandboxNotFoundError('Paused sandbox sbx1 not found')],
    ['not-found', sandboxTimeout()],
    ['timeout', endOfLife()],
    ['timeout', new TimeoutError("[canceled] This error is likely due to exceeding 'requestTimeoutMs'.")],
    [
      'network',
      new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }),
    ],
    ['unknown', new SandboxError('500: internal error')],
    ['unknown', 'a string'],
  ] as const)('%s for %s', (failure, error) => {
    expect(classifyE2BError(error)).toBe(failure)
    const wrapped = toSandboxProviderError(error)
    expect(wrapped).toBeInstanceOf(SandboxProviderError)
    expect(wrapped.failure).toBe(failure)
    expect(wrapped.cause).toBe(error)
    expect(wrapped.message).toContain(error instanceof Error ? error.message : String(error))
  })

  it('keeps the cause of a fetch failure in the message', () => {
    const error = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') })
    expect(toSandboxProviderError(error).message).toContain('ECONNREFUSED 127.0.0.1:1')
  })

  it('passes a SandboxProviderError through unchanged', () => {
    const error = new SandboxProviderError({ provider: 'e2b', failure: 'auth', message: 'x' })
    expect(toSandboxProviderError(error)).toBe(error)
  })
})

describe('verbs against a stand-in that throws the SDK errors', () => {
  it('a sandbox that ends in the middle of exec rejects with a timeout SandboxProviderError', async () => {
    const sandbox = fromE2BSdkSandbox(throwingSdk(endOfLife), { cwd: '/home/user' })
    const error = await sandbox.exec('sleep 100').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SandboxProviderError)
    expect((error as SandboxProviderError).failure).toBe('timeout')
    expect((error as Error).message).toContain('end of life')
  })

  it('a wait() that fails after the start is a provider error, not a result', async () => {
    const handle = {
      stdout: 'partial',
      stderr: '',
      wait: async () => {
        throw endOfLife()
      },
      kill: async () => true,
    }
    const sdk = { sandboxId: 'sbx', commands: { run: async () => handle } } as unknown as E2BSdkSandbox
    const error = await fromE2BSdkSandbox(sdk)
      .exec('long')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SandboxProviderError)
  })

  it('envd permission errors are EACCES SandboxFileErrors', async () => {
    const denied = () =>
      new SandboxError("500: error opening file '/root/secret': open /root/secret: permission denied")
    const sandbox = fromE2BSdkSandbox(throwingSdk(denied))
    for (const run of [
      () => sandbox.readFile('/root/secret'),
      () => sandbox.readFileBuffer('/root/secret'),
      () => sandbox.readdir('/root'),
      () => sandbox.stat('/root/secret'),
    ]) {
      const error = await run().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SandboxFileError)
      expect((error as SandboxFileError).errno).toBe('EACCES')
    }
  })

  it("a FileNotFoundError is ENOENT with the sandbox's resolved path", async () => {
    const sandbox = fromE2BSdkSandbox(throwingSdk(() => new FileNotFoundError("path '/x' does not exist")))
    const error = await sandbox.readFile('notes/a.txt').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SandboxFileError)
    expect((error as SandboxFileError).errno).toBe('ENOENT')
    expect((error as SandboxFileError).path).toBe('/home/user/notes/a.txt')
  })

  it('a full disk on writeFile is a quota SandboxProviderError', async () => {
    const sandbox = fromE2BSdkSandbox(
      throwingSdk(() => new NotEnoughSpaceError('attempted to write 10 bytes')),
    )
    const error = await sandbox.writeFile('big.bin', 'x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SandboxProviderError)
    expect((error as SandboxProviderError).failure).toBe('quota')
  })

  it('exists never throws, whatever the SDK throws', async () => {
    for (const error of [endOfLife, () => new AuthenticationError('no'), () => new Error('boom')]) {
      expect(await fromE2BSdkSandbox(throwingSdk(error)).exists('anything')).toBe(false)
    }
  })

  it('rm and mkdir fail before changing anything when the lookup fails', async () => {
    const calls: string[] = []
    const sdk = {
      sandboxId: 'sbx',
      files: {
        getInfo: async () => {
          throw sandboxTimeout()
        },
        remove: async () => {
          calls.push('remove')
        },
        makeDir: async () => {
          calls.push('makeDir')
          return true
        },
      },
    } as unknown as E2BSdkSandbox
    const sandbox = fromE2BSdkSandbox(sdk)
    await expect(sandbox.rm('x')).rejects.toBeInstanceOf(SandboxProviderError)
    await expect(sandbox.mkdir('x')).rejects.toBeInstanceOf(SandboxProviderError)
    expect(calls).toEqual([])
  })

  it('close({ kill: true }) reports a failed kill as a SandboxProviderError', async () => {
    const sandbox = fromE2BSdkSandbox(throwingSdk(() => new ServiceBusyError('busy')))
    await sandbox.close!()
    const fresh = fromE2BSdkSandbox(throwingSdk(() => new ServiceBusyError('busy')))
    await expect(fresh.close!({ kill: true })).rejects.toBeInstanceOf(SandboxProviderError)
  })
})
