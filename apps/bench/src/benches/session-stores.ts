/**
 * What keeping sessions in a store costs (issue 13): a commit's cost against the length of the
 * history and against the number of workspace files, a load's cost against the number of commits
 * that made the session (no replay), a run's cost against the size of the Python namespace when
 * every run is persisted (a delta of the names it changed), and the longest event-loop stall while
 * a 9 MB state is read and saved as a snapshot. Subject and baseline are sampled alternately, so a
 * load change on the machine hits both. On the core in-memory store, the directory store, and PostgreSQL and Redis
 * when their servers can be started here (127.0.0.1).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { montyBackend } from '@pyflue/backend-monty'
import { InMemorySessionStore, type SessionStore } from '@pyflue/core'
import { FileSessionStore, init } from '@pyflue/harness'
import { PostgresSessionStore } from '@pyflue/store-postgres'
import { RedisSessionStore } from '@pyflue/store-redis'
import type { Bench, BenchRow } from '../bench-types.js'
import { startPostgres, startRedis } from '../servers.js'
import { formatMs, median } from '../stats.js'

const message = (n: number) => ({ role: 'user', content: `message ${n} ${'x'.repeat(200)}` })

/** A measured step on a prepared session, and how to let the session go. */
interface Prepared {
  step: () => Promise<unknown>
  done: () => Promise<void>
}

/**
 * The median times of `subject` and `baseline`, sampled alternately (one step of each per
 * round), so a load change on the machine hits both alike.
 */
async function interleaved(subject: Prepared, baseline: Prepared, rounds: number): Promise<[number, number]> {
  const a: number[] = []
  const b: number[] = []
  for (let i = 0; i < rounds + Math.ceil(rounds / 10); i++) {
    const [x, y] = i % 2 === 0 ? [subject, baseline] : [baseline, subject]
    const tx = await time(x.step)
    const ty = await time(y.step)
    if (i < Math.ceil(rounds / 10)) continue // warm-up rounds
    ;(x === subject ? a : b).push(tx)
    ;(y === subject ? a : b).push(ty)
  }
  await subject.done()
  await baseline.done()
  return [median(a), median(b)]
}

async function time(step: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await step()
  return performance.now() - start
}

/** Appending one message to a session that already holds `history` messages. */
async function messageCommits(store: SessionStore, id: string, history: number): Promise<Prepared> {
  const lease = await store.acquire(id, { ownerId: 'bench', ttlMs: 600_000 })
  let version = 0
  for (let i = 0; i < history; i += 100) {
    const batch = Array.from({ length: Math.min(100, history - i) }, (_, k) => message(i + k))
    version = await store.commit(lease, { expectedVersion: version, appendMessages: batch })
  }
  return {
    step: async () => {
      version = await store.commit(lease, { expectedVersion: version, appendMessages: [message(-1)] })
    },
    done: () => store.release(lease),
  }
}

/** Writing one workspace file into a session holding `files` files of 1 KiB. */
async function fileCommits(store: SessionStore, id: string, files: number): Promise<Prepared> {
  const lease = await store.acquire(id, { ownerId: 'bench', ttlMs: 600_000 })
  const workspace = Object.fromEntries(
    Array.from({ length: files }, (_, i) => [`/work/f${i}.txt`, new Uint8Array(1024).fill(i % 251)]),
  )
  let version = await store.commit(lease, {
    expectedVersion: 0,
    workspace: { kind: 'snapshot', files: workspace },
  })
  let n = 0
  return {
    step: async () => {
      n += 1
      version = await store.commit(lease, {
        expectedVersion: version,
        workspace: {
          kind: 'delta',
          written: { '/work/f0.txt': new Uint8Array(1024).fill(n % 251) },
          removed: [],
        },
      })
    },
    done: () => store.release(lease),
  }
}

/** Loading a session of 1000 messages made by `commits` commits. */
async function loads(store: SessionStore, id: string, commits: number): Promise<Prepared> {
  const lease = await store.acquire(id, { ownerId: 'bench', ttlMs: 600_000 })
  const per = 1000 / commits
  for (let c = 0; c < commits; c++) {
    await store.commit(lease, {
      expectedVersion: c,
      appendMessages: Array.from({ length: per }, (_, k) => message(c * per + k)),
    })
  }
  await store.release(lease)
  return { step: () => store.load(id), done: async () => {} }
}

const BIG_NAMESPACE = [
  'big = list(range(1_000_000))',
  ...Array.from({ length: 1000 }, (_, i) => `v${i} = ${i}`),
].join('\n')

/** A trivial `session.runPython` with the store persisting it, in a small or a big namespace. */
async function runs(store: SessionStore, id: string, big: boolean): Promise<Prepared> {
  // The list is a million values: past the default maxValueNodes (1 000 000) of one value.
  const agent = await init({ pythonBackend: montyBackend({ maxValueNodes: 2_000_000 }), store })
  const session = await agent.session(id)
  if (big) await session.runPython(BIG_NAMESPACE)
  return { step: () => session.runPython('k = 2 * 3'), done: () => agent.close() }
}

/**
 * The longest the event loop waits while `session.loadPythonState` reads a 9 MB state and the
 * store saves it as a new snapshot, probed by a chain of `setImmediate`s, and the whole call's
 * time: a call done in one piece on the calling thread makes the two equal.
 */
async function snapshotStall(store: SessionStore, id: string, bytes: Uint8Array): Promise<[number, number]> {
  const agent = await init({ pythonBackend: montyBackend({ maxValueNodes: 2_000_000 }), store })
  const session = await agent.session(id)
  const stalls: number[] = []
  const totals: number[] = []
  try {
    for (let i = 0; i < 6; i++) {
      let longest = 0
      let last = performance.now()
      let probing = true
      const probe = () => {
        const now = performance.now()
        longest = Math.max(longest, now - last)
        last = now
        if (probing) setImmediate(probe)
      }
      setImmediate(probe)
      const start = performance.now()
      await session.loadPythonState(bytes)
      const total = performance.now() - start
      probing = false
      longest = Math.max(longest, performance.now() - last)
      if (i === 0) continue // warm-up
      stalls.push(longest)
      totals.push(total)
    }
  } finally {
    await agent.close()
  }
  return [median(stalls), median(totals)]
}

/** The bytes of a session holding `BIG_NAMESPACE` (about 9 MB). */
async function bigState(): Promise<Uint8Array> {
  const agent = await init({ pythonBackend: montyBackend({ maxValueNodes: 2_000_000 }) })
  try {
    const session = await agent.session('big-state')
    await session.runPython(BIG_NAMESPACE)
    return await session.dumpPythonState()
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
    const state = await bigState()
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
          const [long, short] = await interleaved(
            await messageCommits(store, `${name}-long`, 1000),
            await messageCommits(store, `${name}-short`, 10),
            100,
          )
          rows.push({
            name: `${name}: commit 1 message, 1000 messages of history`,
            value: formatMs(long),
            baseline: `10 messages of history: ${formatMs(short)}`,
            ratio: long / short,
            note: 'target <= 1.2',
          })
          const [manyFiles, fewFiles] = await interleaved(
            await fileCommits(store, `${name}-files-many`, 1000),
            await fileCommits(store, `${name}-files-few`, 10),
            100,
          )
          rows.push({
            name: `${name}: commit 1 changed workspace file (1 KiB), 1000 files stored`,
            value: formatMs(manyFiles),
            baseline: `10 files stored: ${formatMs(fewFiles)}`,
            ratio: manyFiles / fewFiles,
            note: 'a commit writes what changed',
          })
          const [manyCommits, oneCommit] = await interleaved(
            await loads(store, `${name}-load-many`, 1000),
            await loads(store, `${name}-load-one`, 1),
            20,
          )
          rows.push({
            name: `${name}: load 1000 messages committed one per commit`,
            value: formatMs(manyCommits),
            baseline: `the same in 1 commit: ${formatMs(oneCommit)}`,
            ratio: manyCommits / oneCommit,
            note: 'load reads current state, no replay',
          })
          const [full, empty] = await interleaved(
            await runs(store, `${name}-run-big`, true),
            await runs(store, `${name}-run-empty`, false),
            200,
          )
          rows.push({
            name: `${name}: session.runPython('k = 2 * 3'), 1,000,000-element list + 1,000 names`,
            value: formatMs(full),
            baseline: `empty session: ${formatMs(empty)}`,
            ratio: full / empty,
            note: 'target <= 1.2; a run commits the names it changed (a delta)',
          })
          const [stall, total] = await snapshotStall(store, `${name}-stall`, state)
          rows.push({
            name: `${name}: longest event-loop stall, loadPythonState + snapshot save of ${(state.length / 1e6).toFixed(1)} MB`,
            value: formatMs(stall),
            baseline: `the whole call: ${formatMs(total)}`,
            ratio: stall / total,
            note: 'state read and written in slices; 1.0 would be one blocking piece',
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
