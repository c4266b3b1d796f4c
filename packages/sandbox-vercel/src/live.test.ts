import { SandboxFileError } from '@pyflue/core'
import { describeSandboxContract } from '@pyflue/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { createVercelSandbox, type VercelSandbox, vercelSandbox } from './index.js'

const env = process.env
const hasCredentials = Boolean(
  env.VERCEL_OIDC_TOKEN || (env.VERCEL_TOKEN && env.VERCEL_TEAM_ID && env.VERCEL_PROJECT_ID),
)

// The one conditional skip in this package: these tests need the real Vercel service and
// credentials, which offline machines (CI included) do not have. Vitest then lists them as
// skipped, so their absence is visible in every run; everything else runs against the local
// server through the same SDK.
describe.skipIf(!hasCredentials)(
  'live Vercel Sandbox (runs with VERCEL_OIDC_TOKEN, or VERCEL_TOKEN + VERCEL_TEAM_ID + VERCEL_PROJECT_ID)',
  () => {
    it('creates a sandbox, runs commands, moves files, honours timeouts and stops on kill', async () => {
      const sandbox = await vercelSandbox({ timeoutMs: 5 * 60_000 }).createSandbox({ id: 'pyflue-live' })
      try {
        expect(sandbox.cwd).toBe('/vercel/sandbox')
        expect(await sandbox.exec('echo out; echo err >&2; exit 3')).toEqual({
          stdout: 'out\n',
          stderr: 'err\n',
          exitCode: 3,
        })
        await sandbox.writeFile('live/a.txt', 'héllo')
        expect(await sandbox.readFile('live/a.txt')).toBe('héllo')
        expect(await sandbox.stat('live/a.txt')).toMatchObject({ isFile: true, size: 6 })
        expect(await sandbox.readdir('live')).toEqual(['a.txt'])
        await expect(sandbox.readFile('live')).rejects.toMatchObject({ errno: 'EISDIR' })
        await expect(sandbox.readFile('live/missing')).rejects.toBeInstanceOf(SandboxFileError)
        expect((await sandbox.exec('sleep 30', { timeoutMs: 1000 })).exitCode).toBe(124)
        await sandbox.rm('live', { recursive: true })
        expect(await sandbox.exists('live')).toBe(false)
      } finally {
        await sandbox.close({ kill: true })
      }
    }, 180_000)

    // The testkit's suite against one live sandbox: each test connects to it afresh by id (a
    // plain close() only disconnects), and the sandbox is stopped at the end.
    let shared: VercelSandbox | undefined
    afterAll(async () => {
      await shared?.close({ kill: true })
    })
    describeSandboxContract(
      'vercel (live)',
      async () => {
        shared ??= await createVercelSandbox({ timeoutMs: 10 * 60_000 })
        return createVercelSandbox({ sandboxId: shared.id })
      },
      { timeoutMs: 120_000 },
    )
  },
)
