/**
 * The engine's own added Python cannot collide with user names: a snippet may bind `type`
 * (a builtin the engine calls) or any other builtin name in one run and use it in the next, in
 * both execution modes.
 */
import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'

for (const execution of ['pool', 'in-thread-trusted-code-only'] as const) {
  describe(`a user name that is an engine builtin (${execution})`, () => {
    it('type = 3 persists, and later runs still work', async () => {
      const py = createMontyBackend({ execution })
      try {
        expect((await py.run('type = 3\ntype + 1')).result).toBe(4)
        expect((await py.run('type')).result).toBe(3)
        expect((await py.run('type * 2')).result).toBe(6)
        // A run that does not read it is unaffected, and the value is still there after.
        expect((await py.run('x = [1, 2]\nlen(x)')).result).toBe(2)
        expect((await py.run('type')).result).toBe(3)
        // Rebinding it in a later run replaces it.
        expect((await py.run('type = "kind"\ntype.upper()')).result).toBe('KIND')
        expect((await py.run('type')).result).toBe('kind')
      } finally {
        await py.close()
      }
    }, 60_000)

    it('a session value or an input named like a builtin exception class is the value', async () => {
      const py = createMontyBackend({ execution })
      try {
        await py.run('ValueError = 3\nKeyError = [1]')
        expect((await py.run('ValueError + 1')).result).toBe(4)
        expect((await py.run('KeyError.append(2)\nKeyError')).result).toEqual([1, 2])
        expect((await py.run('TypeError * 2', { inputs: { TypeError: 21 } })).result).toBe(42)
        // The builtin itself is untouched where no value shadows it.
        expect((await py.run('repr(IndexError)')).result).toBe("<class 'IndexError'>")
      } finally {
        await py.close()
      }
    }, 60_000)

    it('a session value named like any builtin is the value in later runs (len, sum, max)', async () => {
      const py = createMontyBackend({ execution })
      try {
        await py.run('len = 5\nsum = [1]\nmax = "m"')
        expect((await py.run('(len + 1, sum, max)')).result).toEqual(
          Object.assign([6, [1], 'm'], { __tuple__: true }),
        )
      } finally {
        await py.close()
      }
    }, 60_000)

    it('an input named type is a value, not the builtin', async () => {
      const py = createMontyBackend({ execution })
      try {
        expect((await py.run('type + 1', { inputs: { type: 41 } })).result).toBe(42)
        // The input does not persist; the builtin is back.
        expect((await py.run('type(1.5).__name__')).result).toBe('float')
      } finally {
        await py.close()
      }
    }, 60_000)

    it('a function reading the global type sees the session value', async () => {
      const py = createMontyBackend({ execution })
      try {
        await py.run('type = 10\ndef kind():\n    return type + 1')
        expect((await py.run('kind()')).result).toBe(11)
      } finally {
        await py.close()
      }
    }, 60_000)
  })
}

describe("the engine's own names are refused in a snippet", () => {
  it('binding, reading or defining a __pf_ name is PYTHON_UNSUPPORTED, and the session is unchanged', async () => {
    const py = createMontyBackend({ execution: 'in-thread-trusted-code-only' })
    try {
      await py.run('x = [1]')
      for (const code of [
        '__pf_type = lambda v: int\nx = 2',
        'x = __pf_walk',
        'def __pf_named(v):\n    return ()',
        'def f(__pf_a):\n    return 1',
        '__pf_out = 3',
      ]) {
        await expect(py.run(code), code).rejects.toMatchObject({
          code: 'PYTHON_UNSUPPORTED',
          alternative: expect.stringContaining('__pf_'),
        })
      }
      expect((await py.run('x')).result).toEqual([1])
      expect((await py.listVariables()).map((v) => v.name)).toEqual(['x'])
    } finally {
      await py.close()
    }
  })
})
