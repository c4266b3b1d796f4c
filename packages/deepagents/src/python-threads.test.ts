import { montyBackend } from '@pyflue/backend-monty'
import { ClosedError, InvalidArgumentError, PyFlueRegistry } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { DEFAULT_THREAD_ID, pythonThreads } from './index.js'

describe('pythonThreads', () => {
  it('gives each thread its own namespace, and calls without an id the default thread', async () => {
    const threads = pythonThreads(montyBackend())
    try {
      await (await threads.backendFor('a')).run('x = 1')
      await (await threads.backendFor(undefined)).run('x = 2')
      expect((await (await threads.backendFor('a')).run('x')).result).toBe(1)
      expect((await (await threads.backendFor(DEFAULT_THREAD_ID)).run('x')).result).toBe(2)
      await expect((await threads.backendFor('b')).run('x')).rejects.toThrow(/NameError/)
      expect(threads.threadIds().sort()).toEqual(['a', 'b', 'default'])
      expect(threads.backendName).toBe('monty')
    } finally {
      await threads.close()
    }
    await expect(threads.backendFor('a')).rejects.toBeInstanceOf(ClosedError)
  })

  it('release saves a thread and closes its backend; the next call loads it again', async () => {
    const saved = new Map<string, Uint8Array>()
    let loads = 0
    const threads = pythonThreads(montyBackend(), {
      loadState: (id) => {
        loads += 1
        return saved.get(id)
      },
      saveState: (id, state) => {
        saved.set(id, state)
      },
    })
    try {
      const first = await threads.backendFor('t')
      await first.run('count = 41')
      await threads.release('t')
      expect(threads.threadIds()).toEqual([])
      await expect(first.run('1')).rejects.toBeInstanceOf(ClosedError)
      const second = await threads.backendFor('t')
      expect(second).not.toBe(first)
      expect((await second.run('count + 1')).result).toBe(42)
      expect(loads).toBe(2)
    } finally {
      await threads.close()
    }
  })

  it('shares one given PythonBackend between threads and leaves it open', async () => {
    const backend = await montyBackend().createBackend({ sessionId: 'shared' })
    const threads = pythonThreads(backend)
    expect(await threads.backendFor('a')).toBe(backend)
    expect(await threads.backendFor('b')).toBe(backend)
    await threads.close()
    expect((await backend.run('1 + 1')).result).toBe(2)
    await backend.close()
  })

  it('resolves names through the registry and refuses what is not a backend', async () => {
    const registry = new PyFlueRegistry()
    registry.registerPythonBackend('mine', montyBackend())
    const threads = pythonThreads('mine', { registry })
    expect((await (await threads.backendFor('a')).run('2 * 21')).result).toBe(42)
    await threads.close()
    const missing = pythonThreads('nope', { registry })
    await expect(missing.backendFor('a')).rejects.toThrow(/nope/)
    expect(() => pythonThreads(42 as never)).toThrow(InvalidArgumentError)
    expect(() => pythonThreads(montyBackend(), { sandbx: 1 } as never)).toThrow(/sandbox/)
  })
})
