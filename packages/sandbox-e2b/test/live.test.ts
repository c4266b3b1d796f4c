/**
 * Live tests against the real E2B service. They need network access and an `E2B_API_KEY`, which
 * CI machines do not have, so the whole block is skipped (and vitest reports it as skipped) when
 * the key is absent: this is the one conditional skip in the package. Every sandbox they create
 * is killed at the end.
 */
import type { Sandbox } from '@pyflue/core'
import { describeSandboxContract } from '@pyflue/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { e2bSandbox, TIMEOUT_NOTE } from '../src/index.js'

const hasKey = Boolean(process.env.E2B_API_KEY)
const LIVE_TIMEOUT = 120_000

describe.skipIf(!hasKey)('live E2B (runs only with E2B_API_KEY set)', () => {
  let sandbox: Sandbox

  beforeAll(async () => {
    sandbox = await e2bSandbox({ timeoutMs: 5 * 60_000 }).createSandbox({ id: 'pyflue-live-test' })
  }, LIVE_TIMEOUT)

  afterAll(async () => {
    await sandbox?.close?.({ kill: true })
  }, LIVE_TIMEOUT)

  it(
    'runs commands with exit codes, env and cwd',
    async () => {
      expect(await sandbox.exec('echo "$X"; exit 4', { env: { X: 'live' } })).toEqual({
        stdout: 'live\n',
        stderr: '',
        exitCode: 4,
      })
      expect((await sandbox.exec('pwd')).stdout).toBe('/home/user\n')
    },
    LIVE_TIMEOUT,
  )

  it(
    'times out with 124 and kills the process',
    async () => {
      const result = await sandbox.exec('echo begun; sleep 30', { timeoutMs: 2000 })
      expect(result.exitCode).toBe(124)
      expect(result.stdout).toBe('begun\n')
      expect(result.stderr).toContain(TIMEOUT_NOTE)
    },
    LIVE_TIMEOUT,
  )

  it(
    'writes, stats, lists and removes files',
    async () => {
      await sandbox.writeFile('live/a/b.txt', 'hello')
      expect(await sandbox.readFile('live/a/b.txt')).toBe('hello')
      expect(await sandbox.stat('live/a/b.txt')).toMatchObject({ isFile: true, size: 5 })
      expect(await sandbox.readdir('live/a')).toEqual(['b.txt'])
      await sandbox.rm('live', { recursive: true })
      expect(await sandbox.exists('live')).toBe(false)
    },
    LIVE_TIMEOUT,
  )

  describeSandboxContract('e2b (live)', () => sandbox, {
    timeoutMs: LIVE_TIMEOUT,
    // One live sandbox serves every contract test; afterAll kills it.
    dispose: () => {},
  })
})
