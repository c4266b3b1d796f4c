import { describeSandboxContract } from '@pyflue/testkit'
import { afterAll, beforeAll } from 'vitest'
import { VercelApiServer } from '../test/vercel-api-server.js'
import { createVercelSandbox } from './index.js'

let server: VercelApiServer

beforeAll(async () => {
  server = await VercelApiServer.start()
})
afterAll(async () => {
  await server.close()
})

// The testkit's contract suite, through the real @vercel/sandbox SDK, against the local
// Vercel Sandbox API server (each sandbox a temp directory, each command a real process).
describeSandboxContract(
  'vercel (real @vercel/sandbox SDK, local API server)',
  () => createVercelSandbox({ ...server.credentials, fetch: server.fetch }),
  {
    timeoutMs: 30_000,
    // Stop each test's sandbox so the local server has no idle sessions left behind.
    dispose: (sandbox) => sandbox.close?.({ kill: true }),
  },
)
