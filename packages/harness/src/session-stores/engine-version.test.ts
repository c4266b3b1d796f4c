/**
 * The engine version a session's Python state was dumped by: committed with the state, and a
 * session whose stored version differs from its backend's does not open (typed error, lease
 * released, nothing changed). Real Monty backends, stating a version through a wrapping factory.
 */
import { createMontyBackend } from '@pyflue/backend-monty'
import {
  InMemorySessionStore,
  type PythonBackend,
  type PythonBackendFactory,
  StateFormatError,
} from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { init } from '../init.js'

/** A `'monty'` factory whose backends state `engineVersion` instead of Monty's own (none, when undefined). */
function montyStating(engineVersion: string | undefined): PythonBackendFactory {
  return {
    name: 'monty',
    async createBackend(): Promise<PythonBackend> {
      const backend = await createMontyBackend()
      return new Proxy(backend, {
        get: (target, key) => {
          if (key === 'engineVersion') return engineVersion
          const value = Reflect.get(target, key, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
    },
  }
}

describe('the Python engine version of a stored session', () => {
  it('is committed with the state, and another engine version is refused on open', async () => {
    const store = new InMemorySessionStore()
    const writer = await init({ pythonBackend: montyStating('engine 1'), store })
    const session = await writer.session('s')
    await session.runPython('total = 41')
    await writer.close()
    const stored = await store.load('s')
    expect(stored?.python).toMatchObject({ backend: 'monty', engineVersion: 'engine 1' })

    const other = await init({ pythonBackend: montyStating('engine 2'), store })
    const refused = await other.session('s').then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(refused).toBeInstanceOf(StateFormatError)
    expect(refused).toMatchObject({ code: 'STATE_FORMAT', reason: 'version' })
    expect((refused as Error).message).toContain('engine 1')
    expect((refused as Error).message).toContain('engine 2')
    const unstated = await init({ pythonBackend: montyStating(undefined), store })
    await expect(unstated.session('s')).rejects.toMatchObject({ reason: 'version' })
    await other.close()
    await unstated.close()

    // The refusals released their leases and changed nothing: the same engine continues at once.
    expect((await store.load('s'))?.version).toBe(stored?.version)
    const same = await init({ pythonBackend: montyStating('engine 1'), store })
    const continued = await same.session('s')
    expect((await continued.runPython('total + 1')).result).toBe(42)
    await same.close()
  })

  it("records 'unrecorded' for a backend that states no version, and any backend loads that state", async () => {
    const store = new InMemorySessionStore()
    const writer = await init({ pythonBackend: montyStating(undefined), store })
    await (await writer.session('s')).runPython('total = 41')
    await writer.close()
    expect((await store.load('s'))?.python?.engineVersion).toBe('unrecorded')
    const reader = await init({ pythonBackend: montyStating('engine 1'), store })
    const session = await reader.session('s')
    expect((await session.runPython('total + 1')).result).toBe(42)
    await reader.close()
    expect((await store.load('s'))?.python?.engineVersion).toBe('engine 1')
  })
})
