/**
 * Incremental persistence: `dumpStateDelta()` names what changed since the last delta or load,
 * and `loadState(snapshot, deltas)` continues exactly where the last delta was taken, in both
 * execution modes.
 */
import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'

const modes = ['in-thread-trusted-code-only', 'pool'] as const

describe.each(modes)('state deltas (%s)', (execution) => {
  it('names only what a run bound, rebound, mutated or deleted', async () => {
    const backend = createMontyBackend({ execution })
    await backend.run('big = list(range(100000))\nsmall = 1\nitems = [1]\ndef f(x):\n    return x + small')
    const first = await backend.dumpStateDelta()
    expect(Object.keys(first.changed).sort()).toEqual(['big', 'f', 'items', 'small'])
    expect(first.removed).toEqual([])

    await backend.run('k = 2 * 3')
    const untouched = await backend.dumpStateDelta()
    expect(Object.keys(untouched.changed)).toEqual(['k'])
    // The 100 000-element list is not in it: the delta is a few hundred bytes at most.
    expect(Object.values(untouched.changed).reduce((n, b) => n + b.byteLength, 0)).toBeLessThan(500)

    // An iterator is not kept: the name goes from the namespace.
    await backend.run('items.append(2)\nsmall = iter([1])\ndef f(x):\n    return x * 2')
    const mutated = await backend.dumpStateDelta()
    // `small` now holds the record of why it was not kept (for the NameError of a later read).
    expect(Object.keys(mutated.changed).sort()).toEqual(['f', 'items', 'small'])
    expect(mutated.removed).toEqual([])
    expect(await backend.dumpStateDelta()).toEqual({ changed: {}, removed: [] })
    await backend.close()
  })

  it('a snapshot plus the deltas after it continues exactly, in another backend', async () => {
    const first = createMontyBackend({ execution })
    await first.run('total = 0.5\nnames = ["a"]\nimport math')
    const snapshot = await first.dumpState()
    // dumpState does not move the baseline: the next delta still names what the snapshot holds.
    await first.run('total += 1\nnames.append("b")\ncount = 3')
    const d1 = await first.dumpStateDelta()
    await first.run('count = iter([1])\ndef double(x):\n    return x * 2\nlabel = "x"')
    const d2 = await first.dumpStateDelta()

    const second = createMontyBackend({ execution })
    await second.loadState(snapshot, [d1, d2])
    expect(await second.dumpState()).toEqual(await first.dumpState())
    // The load is the new baseline.
    await second.run('seen = True')
    expect(Object.keys((await second.dumpStateDelta()).changed)).toEqual(['seen'])
    expect((await second.run('[total, names, double(21), label, math.floor(2.5)]')).result).toEqual([
      1.5,
      ['a', 'b'],
      42,
      'x',
      2,
    ])
    await expect(second.run('count')).rejects.toMatchObject({ excType: 'NameError' })
    await first.close()
    await second.close()
  })

  it('names that share one object still share it after a load from deltas', async () => {
    const first = createMontyBackend({ execution })
    const snapshot = await first.dumpState()
    await first.run('x = [1]\ny = x\nother = 5')
    const delta = await first.dumpStateDelta()
    const second = createMontyBackend({ execution })
    await second.loadState(snapshot, [delta])
    expect((await second.run('y.append(2)\nx')).result).toEqual([1, 2])
    await first.close()
    await second.close()
  })

  it('refuses a corrupt or foreign delta with StateFormatError and keeps the session', async () => {
    const backend = createMontyBackend({ execution })
    await backend.run('kept = 1')
    const snapshot = await backend.dumpState()
    await backend.run('kept = 2')
    const delta = await backend.dumpStateDelta()
    const corrupt = new Uint8Array(delta.changed.kept!)
    corrupt[corrupt.length - 1]! ^= 0xff
    await expect(
      backend.loadState(snapshot, [{ changed: { kept: corrupt }, removed: [] }]),
    ).rejects.toMatchObject({
      code: 'STATE_FORMAT',
    })
    await expect(
      backend.loadState(snapshot, [{ changed: { kept: snapshot }, removed: [] }]),
    ).rejects.toMatchObject({
      code: 'STATE_FORMAT',
      reason: 'backend',
    })
    await expect(backend.loadState(snapshot, [{ changed: {} } as never])).rejects.toMatchObject({
      code: 'STATE_FORMAT',
    })
    expect((await backend.run('kept')).result).toBe(2)
    await backend.close()
  })
})
