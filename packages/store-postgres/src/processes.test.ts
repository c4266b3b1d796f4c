/**
 * Separate Node processes on one session of a real PostgreSQL: they take turns without losing
 * or overwriting a commit, and a process killed with SIGKILL loses its lease only to expiry.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type PostgresServer, startPostgres } from '@pyflue/test-support'
import { afterAll, describe, expect, it } from 'vitest'
import { PostgresSessionStore } from './postgres-session-store.js'

const worker = fileURLToPath(new URL('../test/worker.mjs', import.meta.url))
const server: PostgresServer | undefined = await startPostgres()
afterAll(() => server?.stop())
const run = promisify(execFile)

describe.skipIf(!server && process.env.CI !== 'true')('PostgresSessionStore across processes', () => {
  const url = () => {
    if (!server) throw new Error('No PostgreSQL found; CI must run the PostgreSQL store tests.')
    return server.connectionString
  }

  it('two processes taking turns on one session lose and overwrite nothing', async () => {
    const id = `turns-${process.pid}`
    await Promise.all([
      run(process.execPath, [worker, url(), id, 'turns', '4']),
      run(process.execPath, [worker, url(), id, 'turns', '4']),
    ])
    const store = new PostgresSessionStore({ connectionString: url() })
    const record = await store.load(id)
    await store.close()
    expect(record?.version).toBe(8)
    const owners = new Set(record?.messages.map((m) => (m as { owner: string }).owner))
    expect(owners.size).toBe(2)
    for (const owner of owners) {
      const mine = record?.messages.filter((m) => (m as { owner: string }).owner === owner)
      expect(mine?.map((m) => (m as { n: number }).n)).toEqual([0, 1, 2, 3])
    }
  }, 120_000)

  it('after the owner is killed with SIGKILL, another process takes over once the lease expires', async () => {
    const id = `killed-${process.pid}`
    const child: ChildProcess = spawn(process.execPath, [worker, url(), id, 'hold'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve())
      child.on('exit', () => reject(new Error('the holder exited before holding')))
    })
    child.kill('SIGKILL')
    const store = new PostgresSessionStore({ connectionString: url() })
    const lease = await store.acquire(id, { ownerId: 'successor', ttlMs: 60_000, waitMs: 60_000 })
    expect(await store.commit(lease, { expectedVersion: 1, appendMessages: ['continued'] })).toBe(2)
    expect((await store.load(id))?.messages).toEqual([{ owner: `pid-${child.pid}`, held: true }, 'continued'])
    await store.close()
  }, 120_000)
})
