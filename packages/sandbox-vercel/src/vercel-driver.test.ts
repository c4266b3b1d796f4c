/**
 * The adapter against a stand-in for the SDK's `Sandbox`, for what the local API server cannot
 * play faithfully: the real VM's paths (`/vercel/sandbox`), and a session that ends while a
 * command streams (the service then sends a stream error, which the SDK throws as its own
 * `StreamError`). The stand-in throws the SDK's own error classes.
 */
import { SandboxProviderError } from '@pyflue/core'
import { APIError, StreamError } from '@vercel/sandbox'
import { describe, expect, it } from 'vitest'
import { type VercelSdkSandboxLike, vercelSandboxFromSdk } from './vercel-driver.js'

interface Call {
  method: string
  params: unknown
}

function standIn(behaviour: {
  run?: (params: unknown) => Promise<unknown>
  wait?: () => Promise<{ exitCode: number }>
  readFileToBuffer?: () => Promise<Buffer | null>
  writeFiles?: () => Promise<void>
}) {
  const calls: Call[] = []
  const sdk = {
    name: 'sbx-standin',
    cwd: '/vercel/sandbox',
    async runCommand(params: unknown) {
      calls.push({ method: 'runCommand', params })
      if (behaviour.run) return behaviour.run(params)
      const p = params as { detached?: boolean; args: string[] }
      if (p.detached) {
        return {
          wait: behaviour.wait ?? (async () => ({ exitCode: 0 })),
          stdout: async () => '',
          stderr: async () => '',
          kill: async () => {
            calls.push({ method: 'kill', params: undefined })
          },
        }
      }
      // File scripts: answer like a sandbox where every path is a plain, readable file.
      return { exitCode: 0, stdout: async () => '644\n/vercel/sandbox/out.txt', stderr: async () => '' }
    },
    readFileToBuffer: async (params: unknown) => {
      calls.push({ method: 'readFileToBuffer', params })
      return behaviour.readFileToBuffer ? behaviour.readFileToBuffer() : Buffer.from('content')
    },
    writeFiles: async (params: unknown) => {
      calls.push({ method: 'writeFiles', params })
      return behaviour.writeFiles?.()
    },
    stop: async () => {
      calls.push({ method: 'stop', params: undefined })
    },
  }
  return { sdk: sdk as unknown as VercelSdkSandboxLike, calls }
}

describe('the adapter on the real VM layout (stand-in)', () => {
  it("uses the session's /vercel/sandbox as cwd and hands the SDK absolute paths", async () => {
    const { sdk, calls } = standIn({})
    const sandbox = vercelSandboxFromSdk(sdk)
    expect(sandbox.cwd).toBe('/vercel/sandbox')
    expect(sandbox.id).toBe('sbx-standin')
    await sandbox.exec('ls', { cwd: 'src' })
    expect(calls[0]).toEqual({
      method: 'runCommand',
      params: { cmd: 'bash', args: ['-c', 'ls'], cwd: '/vercel/sandbox/src' },
    })
    await sandbox.exec('ls', { timeoutMs: 1000 })
    expect(calls[1]).toMatchObject({
      method: 'runCommand',
      params: { cmd: 'bash', cwd: '/vercel/sandbox', detached: true, timeoutMs: 1000 },
    })
    expect(await sandbox.readFile('notes/a.txt')).toBe('content')
    expect(calls.at(-1)).toEqual({
      method: 'readFileToBuffer',
      params: { path: '/vercel/sandbox/notes/a.txt' },
    })
    await sandbox.writeFile('out.txt', 'x')
    const write = calls.at(-1)!
    expect(write.method).toBe('writeFiles')
    expect((write.params as { path: string; mode: number }[])[0]).toMatchObject({
      path: '/vercel/sandbox/out.txt',
      mode: 0o644,
    })
  })
})

describe('provider failures the local server cannot produce (stand-in throwing SDK errors)', () => {
  it('a session that ends mid-command rejects exec with SandboxProviderError keeping the message', async () => {
    const ended = () => new StreamError('sandbox_stopped', 'Sandbox session timed out', 'sess_9')
    // A command with a deadline runs detached: the failure arrives through Command.wait().
    const detached = standIn({ wait: () => Promise.reject(ended()) })
    const first = await vercelSandboxFromSdk(detached.sdk)
      .exec('sleep 1000', { timeoutMs: 60_000 })
      .catch((e: unknown) => e)
    expect(first).toBeInstanceOf(SandboxProviderError)
    expect((first as Error).message).toMatch(/Sandbox session timed out/)
    // A plain command streams in one request: the failure arrives through runCommand itself.
    const streamed = standIn({ run: () => Promise.reject(ended()) })
    const second = await vercelSandboxFromSdk(streamed.sdk)
      .exec('sleep 1000')
      .catch((e: unknown) => e)
    expect(second).toBeInstanceOf(SandboxProviderError)
    expect((second as Error).message).toMatch(/Sandbox session timed out \(stream error sandbox_stopped\)/)
  })

  it('an API failure while reading a readable file is a provider error, not an invented errno', async () => {
    const { sdk } = standIn({
      readFileToBuffer: () =>
        Promise.reject(
          new APIError(new Response(null, { status: 500 }), {
            message: 'Status code 500 is not ok: disk on fire',
          }),
        ),
    })
    const error = await vercelSandboxFromSdk(sdk)
      .readFile('a.txt')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SandboxProviderError)
    expect((error as Error).message).toMatch(/disk on fire/)
  })

  it('close() does not stop; close({ kill: true }) does', async () => {
    const { sdk, calls } = standIn({})
    await vercelSandboxFromSdk(sdk).close!()
    expect(calls.some((c) => c.method === 'stop')).toBe(false)
    await vercelSandboxFromSdk(sdk).close!({ kill: true })
    expect(calls.filter((c) => c.method === 'stop')).toHaveLength(1)
  })
})
