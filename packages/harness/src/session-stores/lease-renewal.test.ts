/**
 * init({ sessionLease }): an open session keeps its lease past the TTL (renewed while open), a
 * lease lost to another owner makes saves fail with SessionBusyError, and bad lease options are
 * refused. Time is faked, so nothing here depends on the machine's speed.
 */
import { InMemorySessionStore, SessionBusyError } from '@pyflue/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { init } from '../init.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('session leases through init({ store, sessionLease })', () => {
  it('renews the lease of an open session, so no other owner gets it while it is open', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] })
    const store = new InMemorySessionStore()
    const owner = await init({ store, sessionLease: { ttlMs: 1_000, ownerId: 'owner' } })
    const session = await owner.session('long')
    await vi.advanceTimersByTimeAsync(10_000)
    await expect(store.acquire('long', { ownerId: 'other', ttlMs: 1_000 })).rejects.toBeInstanceOf(
      SessionBusyError,
    )
    await session.save()
    expect((await store.load('long'))?.version).toBe(1)
    await owner.close()
    const taken = await store.acquire('long', { ownerId: 'other', ttlMs: 1_000 })
    expect(taken.ownerId).toBe('other')
  })

  it('a lease taken over after expiry makes later saves reject with SessionBusyError, committing nothing', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] })
    const store = new InMemorySessionStore()
    const owner = await init({ store, sessionLease: { ttlMs: 1_000, ownerId: 'owner' } })
    const session = await owner.session('stolen')
    await session.save()
    // The owner's renewals stop reaching the store (a partition); the lease expires and another takes it.
    const renew = vi.spyOn(store, 'renew').mockRejectedValue(new Error('store unreachable'))
    await vi.advanceTimersByTimeAsync(1_500)
    renew.mockRestore()
    const thief = await store.acquire('stolen', { ownerId: 'thief', ttlMs: 60_000 })
    await vi.advanceTimersByTimeAsync(1_000)
    await expect(session.save()).rejects.toBeInstanceOf(SessionBusyError)
    expect((await store.load('stolen'))?.version).toBe(1)
    expect(await store.commit(thief, { expectedVersion: 1, appendMessages: ['mine'] })).toBe(2)
    await owner.close()
  })

  it('waits for another owner when waitMs is given', async () => {
    const store = new InMemorySessionStore()
    const first = await init({ store })
    const second = await init({ store, sessionLease: { waitMs: 60_000 } })
    const held = await first.session('shared')
    const waiting = second.session('shared')
    await held.close()
    await expect(waiting).resolves.toMatchObject({ id: 'shared' })
    await first.close()
    await second.close()
  })

  it('refuses bad lease options with InvalidArgumentError', async () => {
    const store = new InMemorySessionStore()
    await expect(init({ store, sessionLease: { ttlMs: 0 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(init({ store, sessionLease: { waitMs: -1 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(init({ store, sessionLease: { ownerId: '' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(init({ store, sessionLease: { ttl: 5 } as unknown as { ttlMs: number } })).rejects.toThrow(
      /ttlMs/,
    )
  })
})
