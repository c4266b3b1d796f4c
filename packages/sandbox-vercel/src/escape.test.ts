/**
 * What model-written paths and commands must not reach: this host's shell, files and
 * environment. Everything the adapter does goes to the provider through the SDK's HTTP calls.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Sandbox } from '@pyflue/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VercelApiServer } from '../test/vercel-api-server.js'
import { createVercelSandbox } from './index.js'

let server: VercelApiServer
let sandbox: Sandbox
let hostCanary: string

beforeAll(async () => {
  server = await VercelApiServer.start()
  sandbox = await createVercelSandbox({ ...server.credentials, fetch: server.fetch })
  hostCanary = await mkdtemp(join(tmpdir(), 'pyflue-canary-'))
})
afterAll(async () => {
  await sandbox.close?.()
  await server.close()
  await rm(hostCanary, { recursive: true, force: true })
})

describe('no escape through the Vercel adapter', () => {
  // Each would create a `pwned-*` file in the sandbox's working directory if it ever ran.
  const hostile = [
    '$(touch pwned-subst)',
    '`touch pwned-backtick`',
    "x'; touch pwned-quote; echo '",
    'x"; touch pwned-dquote; echo "',
    '-rf',
    '--help',
    'a\nb; touch pwned-newline',
    '*',
  ]

  it('paths with shell syntax are data in every file verb: nothing runs, the names round-trip', async () => {
    for (const name of hostile) {
      const path = `odd/${name}`
      await sandbox.writeFile(path, name)
      expect(await sandbox.readFile(path)).toBe(name)
      expect(await sandbox.exists(path)).toBe(true)
      expect((await sandbox.stat(path)).isFile).toBe(true)
      await sandbox.rm(path)
      expect(await sandbox.exists(path)).toBe(false)
      await sandbox.mkdir(path)
      expect(await sandbox.readdir('odd')).toEqual([name])
      await sandbox.rm(path, { recursive: true })
    }
    await sandbox.rm('odd', { recursive: true })
    expect(await sandbox.readdir('.')).toEqual([])
  })

  it("does not forward this process's environment to the sandbox", async () => {
    process.env.PYFLUE_HOST_SECRET = 'host-secret-value'
    try {
      const fresh = await createVercelSandbox({ ...server.credentials, fetch: server.fetch })
      const result = await fresh.exec('env')
      expect(result.stdout).not.toContain('host-secret-value')
      expect(server.requests.some((r) => r.body.includes('host-secret-value'))).toBe(false)
      await fresh.close?.()
    } finally {
      delete process.env.PYFLUE_HOST_SECRET
    }
  })

  it('sends every operation to the provider API, never to a local shell', async () => {
    const before = server.requests.length
    const marker = join(hostCanary, 'local-run')
    await sandbox.exec(`echo remote > ${JSON.stringify(`${sandbox.cwd}/remote-only`)}`)
    expect(server.requests.length).toBeGreaterThan(before)
    expect(server.requests.slice(before).every((r) => r.path.startsWith('/v2/sandboxes/'))).toBe(true)
    expect(existsSync(marker)).toBe(false)
    // The module never imports child_process: the adapter has no way to run anything here.
    const grep = spawnSync('grep', ['-rl', 'child_process', join(import.meta.dirname)], { encoding: 'utf8' })
    expect(grep.stdout.split('\n').filter((f) => f && !f.endsWith('.test.ts'))).toEqual([])
  })
})
