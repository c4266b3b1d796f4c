import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StateFormatError } from '@pyflue/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileSessionStore } from './file-session-store.js'
import { InMemorySessionStore, type SessionRecord, type SessionStore } from './session-store.js'

const record = (text: string, state?: number[]): SessionRecord => ({
  version: 1,
  messages: [{ role: 'user', content: text }],
  ...(state ? { pythonState: new Uint8Array(state), pythonBackend: 'monty' } : {}),
  updatedAt: '2026-01-01T00:00:00.000Z',
})

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pyflue-store-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

describe.each([
  ['InMemorySessionStore', () => new InMemorySessionStore() as SessionStore],
  ['FileSessionStore', () => new FileSessionStore(directory) as SessionStore],
])('%s', (_name, makeStore) => {
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
})

describe('FileSessionStore files', () => {
  it('keeps every id inside its directory as one file, even ids with slashes and dots', async () => {
    const store = new FileSessionStore(directory)
    for (const id of ['../escape', 'a/b', '..', 'x'.repeat(256), 'ünï çødé']) {
      await store.save(id, record(id))
      expect((await store.load(id))?.messages).toEqual([{ role: 'user', content: id }])
    }
    const files = await readdir(directory)
    expect(files).toHaveLength(5)
    expect(files.every((file) => file.endsWith('.json') && !file.includes('/'))).toBe(true)
  })

  it('refuses files that are not session records with StateFormatError', async () => {
    const store = new FileSessionStore(directory)
    await writeFile(store.pathFor('bad'), 'not json')
    await expect(store.load('bad')).rejects.toBeInstanceOf(StateFormatError)
    await writeFile(store.pathFor('foreign'), JSON.stringify({ hello: 1 }))
    await expect(store.load('foreign')).rejects.toMatchObject({ reason: 'magic' })
    await store.save('old', record('x'))
    const text = JSON.parse(await readFile(store.pathFor('old'), 'utf8'))
    await writeFile(store.pathFor('old'), JSON.stringify({ ...text, version: 99 }))
    await expect(store.load('old')).rejects.toMatchObject({ reason: 'version' })
  })

  it('leaves no temporary files behind', async () => {
    const store = new FileSessionStore(directory)
    await Promise.all([
      store.save('a', record('1')),
      store.save('a', record('2')),
      store.save('b', record('3')),
    ])
    expect((await readdir(directory)).sort()).toEqual(['a.json', 'b.json'])
  })
})
