/** init({ store }) with a core-contract store: sessions are leased while open and continue elsewhere. */
import { InMemorySessionStore } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { init } from '../init.js'
import { scriptedModel } from '../testing/scripted-model.js'

describe('init({ store }) with a core SessionStore', () => {
  it('leases an open session, commits its Python state and messages, and releases it on close', async () => {
    const store = new InMemorySessionStore()
    const first = await init({ model: scriptedModel([]), pythonBackend: 'monty', store })
    const second = await init({ model: scriptedModel([]), pythonBackend: 'monty', store })
    const session = await first.session('shared')
    await session.runPython('total = 41')
    await expect(second.session('shared')).rejects.toMatchObject({ code: 'SESSION_BUSY' })
    await session.close()
    await store
      .acquire('shared', { ownerId: 'probe', ttlMs: 60_000, waitMs: 60_000 })
      .then((l) => store.release(l))
    const continued = await second.session('shared')
    expect((await continued.runPython('total + 1')).result).toBe(42)
    expect((await store.load('shared'))?.version).toBeGreaterThanOrEqual(2)
    await first.close()
    await second.close()
  })
})
