/**
 * The Python state through a core-contract store: the first save is a snapshot, each later run
 * commits only the names it changed (a delta), a new agent continues from the snapshot and the
 * deltas exactly, and a snapshot is compacted in once the deltas outweigh it, number
 * `MAX_DELTAS`, or the namespace was replaced as a whole. Real Monty, the core in-memory store and
 * the file store.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMontyBackend } from '@pyflue/backend-monty'
import {
  InMemorySessionStore,
  type PythonBackend,
  type PythonBackendFactory,
  type SessionStore,
} from '@pyflue/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { init } from '../init.js'
import { MAX_DELTAS } from '../python-commits.js'
import { FileSessionStore } from './file-store.js'

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pyflue-python-deltas-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

const stores: Array<[string, () => SessionStore]> = [
  ['the core in-memory store', () => new InMemorySessionStore()],
  ['FileSessionStore', () => new FileSessionStore(directory, { sync: false })],
]

async function stored(store: SessionStore, id: string) {
  const record = await store.load(id)
  if (!record?.python) throw new Error(`no Python state stored for ${id}`)
  return record.python
}

describe.each(stores)('Python deltas through %s', (_name, make) => {
  it('commits only the names a run changed, and a new agent continues exactly', async () => {
    const store = make()
    const agent = await init({ pythonBackend: 'monty', store })
    const session = await agent.session('d')
    await session.runPython('big = list(range(100_000))\nitems = [1, 2]\nshared = items\nk = 0')
    const first = await stored(store, 'd')
    expect(first.deltas).toEqual([])

    await session.runPython('k = 2 * 3')
    const afterK = await stored(store, 'd')
    expect(afterK.snapshot).toEqual(first.snapshot)
    expect(afterK.deltas).toHaveLength(1)
    expect(Object.keys(afterK.deltas[0]!.changed)).toEqual(['k'])
    expect(afterK.deltas[0]!.changed.k!.length).toBeLessThan(200)

    await session.runPython('items.append(3)')
    await session.runPython('k = None')
    const last = await stored(store, 'd')
    expect(last.deltas).toHaveLength(3)
    // The mutated list is one group with the name that shares it.
    expect(Object.keys(last.deltas[1]!.changed).sort()).toEqual(['items', 'shared'])
    expect(Object.keys(last.deltas[2]!.changed)).toEqual(['k'])
    // A run that changes no name commits only the run counter (paused runs compare it).
    await session.runPython('[2 ** 10, str(7)]')
    const quiet = (await stored(store, 'd')).deltas
    expect(quiet).toHaveLength(4)
    expect(Object.keys(quiet[3]!.changed)).toEqual(['#session'])
    expect(quiet[3]!.changed['#session']!.length).toBeLessThan(200)
    await agent.close()

    const next = await init({ pythonBackend: 'monty', store })
    const continued = await next.session('d')
    expect((await continued.runPython('[len(big), big[-1], items, shared is items, k]')).result).toEqual([
      100_000,
      99_999,
      [1, 2, 3],
      true,
      null,
    ])
    await next.close()
  })

  it('compacts a snapshot in once the deltas since the last one outweigh it', async () => {
    // (A changed value is written whole: appending to a list of 100 000 writes the list.)
    const store = make()
    const agent = await init({ pythonBackend: 'monty', store })
    const session = await agent.session('c')
    await session.runPython('n = 1')
    await session.runPython("s = 'x' * 700_000")
    expect((await stored(store, 'c')).deltas).toHaveLength(1)
    // 1.4 MB of deltas: past the 1 MiB floor, so this save is a snapshot.
    await session.runPython("s = 'y' * 700_000")
    const compacted = await stored(store, 'c')
    expect(compacted.deltas).toEqual([])
    await agent.close()
    const next = await init({ pythonBackend: 'monty', store })
    expect((await (await next.session('c')).runPython('[s[0], len(s), n]')).result).toEqual(['y', 700_000, 1])
    await next.close()
  })

  it(`compacts after ${MAX_DELTAS} deltas`, async () => {
    const store = make()
    const agent = await init({ pythonBackend: 'monty', store })
    const session = await agent.session('m')
    await session.runPython('i = 0')
    for (let i = 1; i <= MAX_DELTAS; i++) await session.runPython(`i = ${i}`)
    expect((await stored(store, 'm')).deltas).toHaveLength(MAX_DELTAS)
    await session.runPython('i = -1')
    expect((await stored(store, 'm')).deltas).toEqual([])
    await agent.close()
    const next = await init({ pythonBackend: 'monty', store })
    expect((await (await next.session('m')).runPython('i')).result).toBe(-1)
    await next.close()
  })

  it('saves a snapshot after loadPythonState replaced the namespace', async () => {
    const store = make()
    const agent = await init({ pythonBackend: 'monty', store })
    const donor = await agent.session('donor')
    await donor.runPython("given = 'from the donor'")
    const bytes = await donor.dumpPythonState()
    const session = await agent.session('l')
    await session.runPython('mine = 1')
    await session.runPython('mine = 2')
    expect((await stored(store, 'l')).deltas).toHaveLength(1)
    await session.loadPythonState(bytes)
    expect((await stored(store, 'l')).deltas).toEqual([])
    await agent.close()
    const next = await init({ pythonBackend: 'monty', store })
    const continued = await next.session('l')
    expect((await continued.runPython('given')).result).toBe('from the donor')
    await expect(continued.runPython('mine')).rejects.toMatchObject({ excType: 'NameError' })
    await next.close()
  })
})

describe('a backend without dumpStateDelta', () => {
  it('commits a full snapshot on every save', async () => {
    const withoutDeltas: PythonBackendFactory = {
      name: 'monty',
      async createBackend(): Promise<PythonBackend> {
        const backend = await createMontyBackend()
        return new Proxy(backend, {
          get: (target, key) => {
            if (key === 'dumpStateDelta') return undefined
            const value = Reflect.get(target, key, target)
            return typeof value === 'function' ? value.bind(target) : value
          },
        })
      },
    }
    const store = new InMemorySessionStore()
    const agent = await init({ pythonBackend: withoutDeltas, store })
    const session = await agent.session('s')
    await session.runPython('a = 1')
    const first = await stored(store, 's')
    await session.runPython('b = 2')
    const second = await stored(store, 's')
    expect(second.deltas).toEqual([])
    expect(second.snapshot).not.toEqual(first.snapshot)
    await agent.close()
    const next = await init({ pythonBackend: withoutDeltas, store })
    expect((await (await next.session('s')).runPython('a + b')).result).toBe(3)
    await next.close()
  })
})
