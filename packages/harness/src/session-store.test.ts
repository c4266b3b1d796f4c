/** The harness's own in-memory store (for harness-shaped stores; core-contract stores run the testkit suite). */
import { describe, expect, it } from 'vitest'
import { InMemorySessionStore, type SessionRecord, type SessionStore } from './session-store.js'

const record = (text: string, state?: number[]): SessionRecord => ({
  version: 1,
  messages: [{ role: 'user', content: text }],
  ...(state ? { pythonState: new Uint8Array(state), pythonBackend: 'monty' } : {}),
  updatedAt: '2026-01-01T00:00:00.000Z',
})

describe.each([['InMemorySessionStore', () => new InMemorySessionStore() as SessionStore]])(
  '%s',
  (_name, makeStore) => {
    it('returns undefined for an unknown id, and what was saved for a known one', async () => {
      const store = makeStore()
      expect(await store.load('nobody')).toBeUndefined()
      await store.save('a', record('hello', [1, 2, 255]))
      const loaded = await store.load('a')
      expect(loaded?.messages).toEqual([{ role: 'user', content: 'hello' }])
      expect([...(loaded?.pythonState ?? [])]).toEqual([1, 2, 255])
      expect(loaded?.pythonBackend).toBe('monty')
    })

    it('replaces a record as a whole and forgets deleted ids', async () => {
      const store = makeStore()
      await store.save('a', record('one', [1]))
      await store.save('a', record('two'))
      const loaded = await store.load('a')
      expect(loaded?.messages).toEqual([{ role: 'user', content: 'two' }])
      expect(loaded?.pythonState).toBeUndefined()
      await store.delete('a')
      await store.delete('a')
      expect(await store.load('a')).toBeUndefined()
    })

    it('does not share objects with the caller', async () => {
      const store = makeStore()
      const saved = record('x', [7])
      await store.save('a', saved)
      saved.messages.push({ role: 'user', content: 'later' })
      saved.pythonState![0] = 9
      const loaded = await store.load('a')
      expect(loaded?.messages).toHaveLength(1)
      expect(loaded?.pythonState?.[0]).toBe(7)
      loaded!.messages.length = 0
      expect((await store.load('a'))?.messages).toHaveLength(1)
    })
  },
)
