/**
 * Sessions across processes (issue 13), each sample in a real child Node process:
 * - continuing a session (1 000 messages, ~1 MB of Python state, 1 000 workspace files) in a new
 *   process (`init` + `agent.session(id)`: lease, load, Python state into Monty, files into a
 *   virtual sandbox) against reading the same stored bytes raw with the same driver (`pg`,
 *   `ioredis`, `fs`), on PostgreSQL, Redis and the directory store. Both are timed inside the
 *   child after its imports, each opening its own connection; subject and raw alternate. A second
 *   row opens the session without a sandbox, to show what writing the files out costs;
 * - 8 processes × 100 shared sessions, one short two-step prompt (a `run_code` call, then a text
 *   reply, scripted model) per process per session, on PostgreSQL and Redis, against one process
 *   doing the same 800 prompts on the in-memory store. Afterwards every session is loaded: its
 *   messages must be exactly 8 prompts' worth and its Python `count` exactly 8 (a lost or
 *   repeated step would show), and the row says how many were lost or duplicated.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createMontyBackend } from '@pyflue/backend-monty'
import type { SessionStore } from '@pyflue/core'
import type { Bench, BenchRow } from '../bench-types.js'
import { onLines, runChild, spawnChild } from '../child-process.js'
import { type StoreKind, storeOf } from '../children/store-of.js'
import { startPostgres, startRedis } from '../servers.js'
import { formatBytes, formatMs, median } from '../stats.js'

const CONTINUE_ROUNDS = 5
const WORKERS = 8
const SESSIONS = 100

/** Commits the session the continuation row loads: 1 000 messages, ~1 MB of Python state, 1 000 files. */
async function seedContinuation(store: SessionStore, id: string): Promise<number> {
  const python = await createMontyBackend()
  await python.run('rows = [{"id": i, "name": "row " + str(i)} for i in range(24000)]')
  const state = await python.dumpState()
  await python.close()
  const lease = await store.acquire(id, { ownerId: 'bench-seed', ttlMs: 600_000 })
  let version = 0
  for (let i = 0; i < 1000; i += 100) {
    version = await store.commit(lease, {
      expectedVersion: version,
      appendMessages: Array.from({ length: 100 }, (_, k) => ({
        role: (i + k) % 2 === 0 ? 'user' : 'assistant',
        content: `message ${i + k} ${'x'.repeat(200)}`,
      })),
    })
  }
  const files = Object.fromEntries(
    Array.from({ length: 1000 }, (_, i) => [`/data/f${i}.txt`, new Uint8Array(1024).fill(i % 251)]),
  )
  await store.commit(lease, {
    expectedVersion: version,
    python: { kind: 'snapshot', backend: 'monty', engineVersion: 'unrecorded', state },
    workspace: { kind: 'snapshot', files },
  })
  await store.release(lease)
  return state.byteLength
}

interface Continued {
  ms: number
  messages?: number
  bytes?: number
}

async function continuationRows(name: string, kind: StoreKind, target: string): Promise<BenchRow[]> {
  const store = storeOf(kind, target)
  const id = `continue-${kind}`
  let stateBytes: number
  try {
    stateBytes = await seedContinuation(store, id)
  } finally {
    await store.close()
  }
  const times: Record<'subject' | 'no-sandbox' | 'raw', number[]> = { subject: [], 'no-sandbox': [], raw: [] }
  let rawBytes = 0
  const modes = ['subject', 'no-sandbox', 'raw'] as const
  for (let round = 0; round < CONTINUE_ROUNDS; round++) {
    // Rotate the order, so neither side always runs first.
    const order = modes.map((_, i) => modes[(i + round) % modes.length]!)
    for (const mode of order) {
      const result = await runChild<Continued>('continue-session.child.ts', [mode, kind, target, id])
      if (mode === 'raw') rawBytes = result.bytes ?? 0
      else if (result.messages !== 1000)
        throw new Error(`${name}: the continued session has ${result.messages} messages, not 1000`)
      times[mode].push(result.ms)
    }
  }
  const [s, p, r] = [median(times.subject), median(times['no-sandbox']), median(times.raw)]
  const baseline = `raw read of the stored ${formatBytes(rawBytes)}: ${formatMs(r)}`
  const note = `medians of ${CONTINUE_ROUNDS} child processes each, timed in the child after imports`
  const what = `1000 messages, ${formatBytes(stateBytes)} Python state, 1000 files`
  return [
    {
      name: `${name}: continue a session in a new process (${what}; virtual sandbox)`,
      value: formatMs(s),
      baseline,
      ratio: s / r,
      note,
    },
    {
      name: `${name}: the same without a sandbox (files loaded, not written out)`,
      value: formatMs(p),
      baseline,
      ratio: p / r,
      note,
    },
  ]
}

interface WorkerResult {
  ms: number
  prompts: number
  retries: number
  messagesPerPrompt: number[]
}

/** Starts `count` prompt workers, lets them go at once, and resolves with the wall time and their results. */
async function runWorkers(
  kind: StoreKind,
  target: string,
  count: number,
  rounds: number,
): Promise<{ wallMs: number; results: WorkerResult[] }> {
  const children = Array.from({ length: count }, (_, w) =>
    spawnChild('prompt-worker.child.ts', [kind, target, String(w), String(SESSIONS), String(rounds)]),
  )
  let start = 0
  const ready: Promise<void>[] = []
  const done: Promise<WorkerResult>[] = []
  for (const child of children) {
    let onReady!: () => void
    ready.push(new Promise((resolve) => (onReady = resolve)))
    done.push(
      new Promise((resolve, reject) => {
        let result: WorkerResult | undefined
        onLines(child, (text) => {
          if (text === 'ready') onReady()
          else if (text.trim() !== '') result = JSON.parse(text) as WorkerResult
        })
        child.on('error', reject)
        child.on('exit', (code) =>
          code === 0 && result ? resolve(result) : reject(new Error(`prompt worker exited with ${code}`)),
        )
      }),
    )
  }
  await Promise.all(ready)
  start = performance.now()
  for (const child of children) child.stdin!.write('go\n')
  const results = await Promise.all(done)
  return { wallMs: performance.now() - start, results }
}

/** Loads every session and counts prompts lost or duplicated, by messages and by the Python `count`. */
async function verify(
  kind: StoreKind,
  target: string,
  promptsPerSession: number,
  messagesPerPrompt: number,
): Promise<{ lost: number; duplicated: number }> {
  const store = storeOf(kind, target)
  const python = await createMontyBackend()
  let lost = 0
  let duplicated = 0
  try {
    for (let s = 0; s < SESSIONS; s++) {
      const record = await store.load(`s${s}`)
      const messages = record?.messages.length ?? 0
      const expected = promptsPerSession * messagesPerPrompt
      let count = 0
      if (record?.python?.snapshot) {
        await python.loadState(record.python.snapshot, record.python.deltas)
        count = Number((await python.run('count')).result)
      }
      const byMessages = (messages - expected) / messagesPerPrompt
      const byCount = count - promptsPerSession
      const off = Math.abs(byMessages) > Math.abs(byCount) ? byMessages : byCount
      if (off < 0) lost += -off
      else duplicated += off
    }
  } finally {
    await python.close()
    await store.close()
  }
  return { lost, duplicated }
}

async function throughputRows(
  stores: { name: string; kind: StoreKind; target: string }[],
): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  if (stores.length === 0) return rows
  // The baseline: one process, the same 800 prompts (8 per session), in-memory store.
  const base = await runWorkers('memory', '', 1, WORKERS)
  const baseMs = base.wallMs / (WORKERS * SESSIONS)
  for (const { name, kind, target } of stores) {
    const run = await runWorkers(kind, target, WORKERS, 1)
    const prompts = run.results.reduce((n, r) => n + r.prompts, 0)
    const retries = run.results.reduce((n, r) => n + r.retries, 0)
    const perPrompt = [...new Set(run.results.flatMap((r) => r.messagesPerPrompt))]
    if (perPrompt.length !== 1) throw new Error(`${name}: prompts added ${perPrompt.join(' or ')} messages`)
    const { lost, duplicated } = await verify(kind, target, WORKERS, perPrompt[0]!)
    const ms = run.wallMs / prompts
    rows.push({
      name: `${name}: ${WORKERS} processes × ${SESSIONS} sessions, 1 two-step prompt each (scripted model)`,
      value: `${formatMs(ms)}/prompt (${((1000 * prompts) / run.wallMs).toFixed(0)} prompts/s)`,
      baseline: `1 process, in-memory: ${formatMs(baseMs)}/prompt (${(1000 / baseMs).toFixed(0)} prompts/s)`,
      ratio: ms / baseMs,
      note: `${lost} lost, ${duplicated} duplicated (target 0, 0); ${retries} store refusals retried`,
    })
  }
  return rows
}

const bench: Bench = {
  name: 'session-processes',
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = []
    const directory = await mkdtemp(join(tmpdir(), 'pyflue-bench-processes-'))
    const postgres = await startPostgres()
    const redis = await startRedis()
    process.stderr.write(
      `session-processes: load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    )
    try {
      const continued: { name: string; kind: StoreKind; target: string }[] = [
        { name: 'FileSessionStore', kind: 'file', target: directory },
      ]
      if (postgres)
        continued.unshift({
          name: 'PostgresSessionStore',
          kind: 'postgres',
          target: postgres.connectionString,
        })
      if (redis)
        continued.splice(postgres ? 1 : 0, 0, { name: 'RedisSessionStore', kind: 'redis', target: redis.url })
      for (const { name, kind, target } of continued)
        rows.push(...(await continuationRows(name, kind, target)))
      rows.push(...(await throughputRows(continued.filter(({ kind }) => kind !== 'file'))))
      if (!postgres)
        process.stderr.write('session-processes: no PostgreSQL binaries here, its rows are left out\n')
      if (!redis) process.stderr.write('session-processes: no redis-server here, its rows are left out\n')
      process.stderr.write(
        `session-processes: load average after ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}\n`,
      )
    } finally {
      postgres?.stop()
      redis?.stop()
      await rm(directory, { recursive: true, force: true })
    }
    return rows
  },
}

export default bench
