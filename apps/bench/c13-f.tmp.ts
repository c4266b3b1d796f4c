import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileSessionStore } from '@pyflue/harness'
import { median } from './src/stats.js'
const dir = await mkdtemp(join(tmpdir(), 'c13-'))
const store = new FileSessionStore(dir)
async function prep(id: string, files: number) {
  const lease = await store.acquire(id, { ownerId: 'b', ttlMs: 600000 })
  const ws = Object.fromEntries(Array.from({ length: files }, (_, i) => [`/work/f${i}.txt`, new Uint8Array(1024)]))
  let v = await store.commit(lease, { expectedVersion: 0, workspace: { kind: 'snapshot', files: ws } })
  return async () => { v = await store.commit(lease, { expectedVersion: v, workspace: { kind: 'delta', written: { '/work/f0.txt': new Uint8Array(1024).fill(v % 251) }, removed: [] } }) }
}
const a = await prep('many', 1000), b = await prep('few', 10)
const ta: number[] = [], tb: number[] = []
for (let i = 0; i < 300; i++) { let t = performance.now(); await a(); ta.push(performance.now() - t); t = performance.now(); await b(); tb.push(performance.now() - t) }
console.log(median(ta).toFixed(2), median(tb).toFixed(2), (median(ta) / median(tb)).toFixed(2))
