import type { Sandbox } from '@pyflue/core'
import { afterAll, beforeAll } from 'vitest'
import { connectE2BSandbox, type E2BSandboxOptions } from '../src/index.js'
import { FAKE_API_KEY, type FakeE2BServer, startFakeE2BServer } from './fake-e2b-server.js'

/** Starts one fake E2B server for the calling test file and closes it afterwards. */
export function useFakeE2B(): {
  server: () => FakeE2BServer
  /** Options that point the real SDK at the fake server. */
  options: (extra?: E2BSandboxOptions) => E2BSandboxOptions
  /** Creates a new E2B sandbox through the real SDK, working in the server's workdir. */
  sandbox: (extra?: E2BSandboxOptions) => Promise<Sandbox>
} {
  let server: FakeE2BServer | undefined
  beforeAll(async () => {
    server = await startFakeE2BServer()
  })
  afterAll(async () => {
    await server?.close()
  })
  const current = () => {
    if (!server) throw new Error('the fake E2B server has not started')
    return server
  }
  const options = (extra: E2BSandboxOptions = {}): E2BSandboxOptions => ({
    apiKey: FAKE_API_KEY,
    apiUrl: current().url,
    sandboxUrl: current().url,
    cwd: current().workdir,
    ...extra,
  })
  return { server: current, options, sandbox: (extra) => connectE2BSandbox(options(extra)) }
}

/** Polls `check` until it is true or `ms` pass; returns its last value. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 60_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return check()
}
