/**
 * Layout 2 on a real redis-server (127.0.0.1): a commit touches only the keys and fields of what
 * it changed (seen through keyspace notifications), and a session of layout 1 is refused with a
 * typed error saying what to do.
 */
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedis } from '../test/redis-server.js'
import { RedisSessionStore } from './redis-session-store.js'

const server: RedisServer | undefined = await startRedis()
afterAll(() => server?.stop())
const bytes = (...values: number[]) => new Uint8Array(values)

describe.skipIf(!server && process.env.CI !== 'true')('RedisSessionStore layout 2', () => {
  const url = () => {
    if (!server) throw new Error('No redis-server found; CI must run the Redis store tests.')
    return server.url
  }

  it('a commit appending one message writes the message list and the record, not the files or state', async () => {
    const store = new RedisSessionStore({ url: url(), keyPrefix: 'events:' })
    const admin = new Redis(url())
    const listener = new Redis(url())
    try {
      const lease = await store.acquire('s', { ownerId: 'a', ttlMs: 60_000 })
      await store.commit(lease, {
        expectedVersion: 0,
        appendMessages: ['one'],
        python: { kind: 'snapshot', backend: 'monty', engineVersion: '1', state: new Uint8Array(100_000) },
        workspace: { kind: 'snapshot', files: { '/big': new Uint8Array(100_000), '/small': bytes(1) } },
      })
      await admin.config('SET', 'notify-keyspace-events', 'KA')
      const events: string[] = []
      let markerSeen: () => void = () => {}
      const marker = new Promise<void>((resolve) => {
        markerSeen = resolve
      })
      listener.on('pmessage', (_pattern, channel: string, event: string) => {
        events.push(`${channel.slice(channel.lastIndexOf(':') + 1)} ${event}`)
        if (channel.endsWith(':marker')) markerSeen()
      })
      await listener.psubscribe('__keyspace@0__:events:*')
      await store.commit(lease, { expectedVersion: 1, appendMessages: ['two'] })
      await store.commit(lease, {
        expectedVersion: 2,
        workspace: { kind: 'delta', written: { '/small': bytes(2) }, removed: [] },
      })
      // A marker through the same server: every event of the commits arrived before it.
      await admin.set('events:marker', '1')
      await marker
      const seen = events.filter((e) => e !== 'marker set')
      expect(new Set(seen)).toEqual(new Set(['msgs rpush', 'rec hset', 'files hset']))
      const record = await store.load('s')
      expect(record?.messages).toEqual(['one', 'two'])
      expect(record?.workspace['/big']?.byteLength).toBe(100_000)
      expect([...(record?.workspace['/small'] ?? [])]).toEqual([2])
      expect(record?.python?.snapshot?.byteLength).toBe(100_000)
    } finally {
      await admin.config('SET', 'notify-keyspace-events', '')
      listener.disconnect()
      admin.disconnect()
      await store.close()
    }
  })

  it('refuses a session of layout 1 with StateFormatError saying what to delete, and changes nothing', async () => {
    const store = new RedisSessionStore({ url: url(), keyPrefix: 'old:' })
    const admin = new Redis(url())
    try {
      await admin.hset('old:{s}:head', 'version', '1')
      await admin.rpush('old:{s}:commits', '{"expectedVersion":0}')
      await expect(store.load('s')).rejects.toMatchObject({
        code: 'STATE_FORMAT',
        reason: 'version',
        message: expect.stringContaining(':head and :commits'),
      })
      const lease = await store.acquire('s', { ownerId: 'a', ttlMs: 60_000 })
      await expect(store.commit(lease, { expectedVersion: 0, appendMessages: ['x'] })).rejects.toMatchObject({
        code: 'STATE_FORMAT',
      })
      expect((await admin.keys('old:*')).sort()).toEqual(['old:{s}:commits', 'old:{s}:head', 'old:{s}:lease'])
    } finally {
      admin.disconnect()
      await store.close()
    }
  })
})
