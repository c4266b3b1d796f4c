/**
 * Runs proven to hand back only plain scalars run without the walker and keep their values
 * exactly, end to end (which runs are proven: `run-plan.test.ts`).
 */
import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { tuple } from './value-conversion.js'

const modes = ['pool', 'in-thread-trusted-code-only'] as const

for (const execution of modes) {
  describe(`scalar-only runs keep their values exactly (${execution})`, () => {
    it('integral floats, -0.0, big ints, bytes and repr-like strings', async () => {
      const backend = createMontyBackend({ execution })
      await backend.run('a = 2.0\nb = -0.0\nc = 2 ** 70\nd = b"\\x00"\ne = "<function f at 0x1>"\nf = 1e300')
      const r = await backend.run('(repr(a), repr(b), c == 2 ** 70, d, e, type(f).__name__)')
      expect(r.result).toEqual(
        tuple('2.0', '-0.0', true, new Uint8Array([0]), '<function f at 0x1>', 'float'),
      )
      await backend.close()
    })

    it('an accumulator over many runs stays a float', async () => {
      const backend = createMontyBackend({ execution })
      await backend.run('total = 0.0')
      for (let i = 0; i < 5; i++) await backend.run(`total = total + ${i}`)
      expect((await backend.run('repr(total)')).result).toBe('10.0')
      await backend.close()
    })

    it('a name a session function rebinds to a list comes back as the list', async () => {
      const backend = createMontyBackend({ execution })
      await backend.run('def set_x():\n    global x\n    x = [1.0]')
      await backend.run('x = 1\nset_x()')
      expect((await backend.run('repr(x)')).result).toBe('[1.0]')
      await backend.close()
    })
  })
}
