// A separate Node process using one session of the directory store: `turns <n>` takes the
// lease (waiting), appends one message per turn and releases; `hold` takes a short lease, commits
// one message, says "held" and waits to be killed.
import { FileSessionStore } from '../src/session-stores/file-store.js'

const [url, id, action, count] = process.argv.slice(2) as [string, string, string, string?]
const store = new FileSessionStore(url)
const owner = `pid-${process.pid}`
if (action === 'turns') {
  for (let n = 0; n < Number(count); n++) {
    const lease = await store.acquire(id, { ownerId: owner, ttlMs: 60_000, waitMs: 120_000 })
    const version = (await store.load(id))?.version ?? 0
    await store.commit(lease, { expectedVersion: version, appendMessages: [{ owner, n }] })
    await store.release(lease)
    await new Promise((r) => setTimeout(r, 5))
  }
  await store.close()
} else {
  const lease = await store.acquire(id, { ownerId: owner, ttlMs: 500 })
  await store.commit(lease, { expectedVersion: 0, appendMessages: [{ owner, held: true }] })
  console.log('held')
  setInterval(() => {}, 1000)
}
