/**
 * One sample of the "continue a session in a new process" bench row, in its own Node process.
 * `subject`: `init({ store })` and `agent.session(id)` (lease, load, Python state restored into a
 * new Monty backend, workspace files written into a new virtual sandbox). `no-sandbox`: the same
 * without a sandbox (the files are loaded from the store, not written out). `raw`: the same stored
 * bytes read with the same driver (`pg`, `ioredis`, `fs`) and nothing done with them. Both time
 * from after this file's imports until the session is open or the bytes are read, each opening
 * its own connection (closing it is not timed); prints
 * `{ ms, messages | bytes }`.
 * Usage: continue-session.child.ts subject|no-sandbox|raw postgres|redis|file <target> <session id>
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { init } from '@pyflue/harness'
import { Redis } from 'ioredis'
import pg from 'pg'
import { type StoreKind, storeOf } from './store-of.js'

const [mode, kind, target, id] = process.argv.slice(2) as [
  'subject' | 'no-sandbox' | 'raw',
  StoreKind,
  string,
  string,
]

/** What a sample found, and how to let go of what it opened (after the clock stopped). */
interface Sample {
  found: Record<string, number>
  done: () => Promise<unknown>
}

async function subject(withSandbox: boolean): Promise<Sample> {
  const store = storeOf(kind, target)
  const agent = await init({ pythonBackend: 'monty', ...(withSandbox ? { sandbox: 'virtual' } : {}), store })
  const session = await agent.session(id)
  return {
    found: { messages: session.messages.length },
    done: async () => {
      await agent.close()
      await store.close()
    },
  }
}

/** Every file under `dir`, read whole. */
async function readTree(dir: string): Promise<number> {
  let bytes = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    bytes += entry.isDirectory() ? await readTree(path) : (await readFile(path)).byteLength
  }
  return bytes
}

async function raw(): Promise<Sample> {
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: target })
    await client.connect()
    const messages = await client.query(
      'SELECT body::text AS body FROM pyflue_messages WHERE id = $1 ORDER BY seq',
      [id],
    )
    const head = await client.query('SELECT python_snapshot FROM pyflue_sessions WHERE id = $1', [id])
    const files = await client.query('SELECT path, content FROM pyflue_workspace_files WHERE id = $1', [id])
    let bytes = head.rows[0].python_snapshot.byteLength as number
    for (const row of messages.rows) bytes += Buffer.byteLength(row.body)
    for (const row of files.rows) bytes += row.content.byteLength + Buffer.byteLength(row.path)
    return { found: { bytes }, done: () => client.end() }
  }
  if (kind === 'redis') {
    const redis = new Redis(target)
    const base = `pyflue:{${encodeURIComponent(id)}}`
    const [rec, msgs, files] = await Promise.all([
      redis.hgetallBuffer(`${base}:rec`),
      redis.lrangeBuffer(`${base}:msgs`, 0, -1),
      redis.hgetallBuffer(`${base}:files`),
    ])
    let bytes = 0
    for (const value of Object.values(rec)) bytes += value.byteLength
    for (const value of msgs) bytes += value.byteLength
    for (const [path, value] of Object.entries(files)) bytes += value.byteLength + Buffer.byteLength(path)
    return { found: { bytes }, done: () => redis.quit() }
  }
  return { found: { bytes: await readTree(join(target, id)) }, done: async () => {} }
}

const start = performance.now()
const sample = mode === 'raw' ? await raw() : await subject(mode === 'subject')
const ms = performance.now() - start
await sample.done()
process.stdout.write(`${JSON.stringify({ ms, ...sample.found })}\n`)
