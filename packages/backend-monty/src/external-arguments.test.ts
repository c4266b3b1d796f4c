/**
 * Arguments of external calls are recognised by what they are, never by what their text looks
 * like: a string that reads like a function's, a module's, a range's or a cycle's text crosses as
 * that string, while a function, a module, a range or a cyclic list is refused with `TypeError`
 * in Python (checked there, exactly), in both execution modes and for paused calls too.
 */
import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { IN_THREAD } from './monty-backend-options.js'

const LOOKALIKES = ["<function 'f' at 0x1>", '[...]', 'range(0, 10)', "<module 'math'>", '{...}']

for (const mode of ['pool', IN_THREAD] as const) {
  describe(`external call arguments (${mode})`, () => {
    const make = () => createMontyBackend(mode === IN_THREAD ? { execution: IN_THREAD } : {})

    it('passes strings that read like non-data text as the strings they are, nested or not', async () => {
      const backend = make()
      const seen: unknown[] = []
      const echo = (...args: unknown[]) => {
        seen.push(args)
        return args.length
      }
      const code = `texts = ${JSON.stringify(LOOKALIKES)}
[echo(t) for t in texts] + [echo({"k": texts}, label=texts[1])]`
      const run = await backend.run(code, { externalFunctions: { echo } })
      expect(run.result).toEqual([1, 1, 1, 1, 1, 2])
      expect(seen.slice(0, 5)).toEqual(LOOKALIKES.map((text) => [text]))
      expect(seen[5]).toEqual([{ k: LOOKALIKES }, { label: '[...]' }])
      await backend.close()
    })

    it('refuses a function, a module, a range and a cyclic list with a catchable TypeError', async () => {
      const backend = make()
      const code = `import math
def f():
    return 1
cyclic = [1]
cyclic.append(cyclic)
out = []
for value in [f, math, range(3), cyclic, [len], {"nested": f}]:
    try:
        echo(value)
        out.append("passed")
    except TypeError as error:
        out.append(str(error))
out`
      const calls: unknown[] = []
      const run = await backend.run(code, { externalFunctions: { echo: (v: unknown) => calls.push(v) } })
      const out = run.result as string[]
      expect(calls).toEqual([])
      expect(out).toHaveLength(6)
      for (const message of out) expect(message).toMatch(/is not data and cannot cross into JavaScript/)
      expect(out[0]).toMatch(/function/)
      expect(out[1]).toMatch(/module/)
      expect(out[2]).toMatch(/range/)
      await backend.close()
    })

    it('pauses at a checked call with the lookalike string as its argument', async () => {
      const backend = make()
      const pause = await backend.start('ask("range(0, 10)")', { externalFunctions: { ask: () => 1 } })
      expect(pause.status).toBe('paused')
      if (pause.status !== 'paused') return
      expect(pause.call).toEqual({ name: 'ask', args: ['range(0, 10)'], kwargs: {} })
      const done = await backend.resume(pause, { returnValue: 7 }, { externalFunctions: { ask: () => 1 } })
      expect(done.status === 'complete' && done.result).toBe(7)
      await backend.close()
    })
  })
}
