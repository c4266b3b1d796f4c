/**
 * What keeping sessions in a store costs (issue 13): a commit's cost against the length of the
 * history, a run's cost against the size of the Python namespace when every run is persisted, and
 * opening a stored session against loading its record raw. On the core in-memory store, the
 * directory store, and PostgreSQL and Redis when their servers can be started here (127.0.0.1).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InMemorySessionStore, type SessionStore } from '@pyflue/core'
import { FileSessionStore, init } from '@pyflue/harness'
import { PostgresSessionStore } from '@pyflue/store-postgres'
import { RedisSessionStore } from '@pyflue/store-redis'
import type { Bench, BenchRow } from '../bench-types.js'
import { formatMs, median, sample } from '../stats.js'

/** The stores' own test helpers start their servers on 127.0.0.1 (undefined when not installed). */
const helper = (path: string) => import(new URL(`../../../../packages/${path}`, import.meta.url).href)
const startPostgres: () => Promise<{ connectionString: string; stop(): void } | undefined> = async () =>
  (await helper('store-postgres/test/postgres-server.ts')).startPostgres()
const startRedis: () => Promise<{ url: string; stop(): void } | undefined> = async () =>
  (await helper('store-redis/test/redis-server.ts')).startRedis()

const message = (n: number) => ({ role: 'user', content: `message ${n} ${'x'.repeat(200)}` })

/** The median time of appending one message to a session that already holds `history` messages. */
async function commitCost(store: SessionStore, id: string, history: number): Promise<number> {
  const lease = await store.acquire(id, { ownerId: 'bench', ttlMs: 600_000 })
  let version = 0
  for (let i = 0; i < history; i += 100) {
    const batch = Array.from({ length: Math.min(100, history - i) }, (_, k) => message(i + k))
    version = await store.commit(lease, { expectedVersion: version, appendMessages: batch })
  }
  const times = await sample(async () => {
    version = await store.commit(lease, { expectedVersion: version, appendMessages: [message(-1)] })
  }, 100)
  await store.release(lease)
  return median(times)
}

const BIG_NAMESPACE = [
  'big = list(range(1_000_000))',
  ...Array.from({ length: 1000 }, (_, i) => `v${i} = ${i}`),
].join('\n')

/** The median time of a trivial `session.runPython` with the store persisting it, in a small and a big namespace. */
async function runCost(store: SessionStore, id: string, big: boolean): Promise<number> {
  const agent = await init({ pythonBackend: 'monty', store })
  try {
    const session = await agent.session(id)
    if (big) await session.runPython(BIG_NAMESPACE)
    return median(await sample(() => session.runPython('k = 2 * 3'), 20, 3))
  } finally {
    await agent.close()
  }
}

const bench: Bench = {
  name: 'session-stores',
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = []
    const directory = await mkdtemp(join(tmpdir(), 'pyflue-bench-stores-'))
    const postgres = await startPostgres()
    const redis = await startRedis()
    const stores: { name: string; make: () => SessionStore }[] = [
      { name: 'in-memory (core)', make: () => new InMemorySessionStore() },
      { name: 'FileSessionStore', make: () => new FileSessionStore(directory) },
    ]
    if (postgres)
      stores.push({
        name: 'PostgresSessionStore',
        make: () => new PostgresSessionStore({ connectionString: postgres.connectionString }),
      })
    if (redis)
      stores.push({ name: 'RedisSessionStore', make: () => new RedisSessionStore({ url: redis.url }) })
    try {
      for (const { name, make } of stores) {
        const store = make()
        try {
          const short = await commitCost(store, `${name}-short`, 10)
          const long = await commitCost(store, `${name}-long`, 1000)
          rows.push({
            name: `${name}: commit 1 message, 1000 messages of history`,
            value: formatMs(long),
            baseline: `10 messages of history: ${formatMs(short)}`,
            ratio: long / short,
            note: 'target <= 1.2',
          })
          const empty = await runCost(store, `${name}-run-empty`, false)
          const full = await runCost(store, `${name}-run-big`, true)
          rows.push({
            name: `${name}: session.runPython('k = 2 * 3'), 1,000,000-element list + 1,000 names`,
            value: formatMs(full),
            baseline: `empty session: ${formatMs(empty)}`,
            ratio: full / empty,
            note: 'target <= 1.2; every run commits a full dumpState() (no deltas yet)',
          })
        } finally {
          await store.close()
        }
      }
      if (!postgres)
        process.stderr.write('session-stores: no PostgreSQL binaries here, its rows are left out\n')
      if (!redis) process.stderr.write('session-stores: no redis-server here, its rows are left out\n')
    } finally {
      postgres?.stop()
      redis?.stop()
      await rm(directory, { recursive: true, force: true })
    }
    return rows
  },
}

export default bench
