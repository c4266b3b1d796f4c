import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'

/** What cannot be kept is reported in the run's result and explained by a later NameError (issue 12). */
const modes = ['pool', 'in-thread-trusted-code-only'] as const

const FACTORY = 'def mk(n):\n    def f(v):\n        return v * n\n    return f\n'

for (const execution of modes) {
  describe(`values that cannot be kept (${execution})`, () => {
    const session = () => createMontyBackend({ execution })

    it('a closure made by a call is reported with its type and why', async () => {
      const backend = session()
      const run = await backend.run(`${FACTORY}triple = mk(3)\ntriple(2)`)
      expect(run.result).toBe(6)
      expect(run.notKept).toEqual([
        { name: 'triple', type: 'function', reason: expect.stringContaining('closure returned by a call') },
      ])
      await backend.close()
    })

    it('a later run reading it gets a NameError naming the run that bound it and why', async () => {
      const backend = session()
      await backend.run('x = 1')
      await backend.run(`${FACTORY}triple = mk(3)`)
      const error = await backend.run('triple(2)').catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'PYTHON_RUNTIME', excType: 'NameError' })
      const message = (error as { pythonMessage: string }).pythonMessage
      expect(message).toContain("name 'triple' is not defined")
      expect(message).toContain('run 2 of this session (<snippet>)')
      expect(message).toContain('a function')
      expect(message).toContain('closure returned by a call')
      await backend.close()
    })

    it('a read inside a function gets the same explanation', async () => {
      const backend = session()
      await backend.run('it = iter([1, 2])')
      const error = await backend.run('def g():\n    return next(it)\ng()').catch((e: unknown) => e)
      expect((error as { pythonMessage: string }).pythonMessage).toContain(
        'bound it to an iterator, which was not kept because the position of an iterator',
      )
      await backend.close()
    })

    it('iterators, cycles, modules inside containers and what refers to them are each reported', async () => {
      const backend = session()
      const run = await backend.run(
        'import math\nit = iter([1])\ncyc = [1]\ncyc.append(cyc)\nmods = [math]\nholder = {"i": it}\nkeep = [1.0]\nalias = holder',
      )
      const byName = Object.fromEntries((run.notKept ?? []).map((entry) => [entry.name, entry]))
      expect(Object.keys(byName).sort()).toEqual(['alias', 'cyc', 'holder', 'it', 'mods'])
      expect(byName.it).toMatchObject({ type: 'iterator' })
      expect(byName.cyc).toMatchObject({ type: 'list', reason: expect.stringContaining('contains itself') })
      expect(byName.mods).toMatchObject({
        type: 'list',
        reason: expect.stringContaining('it holds a module'),
      })
      expect(byName.holder).toMatchObject({
        type: 'dict',
        reason: expect.stringContaining('it holds an iterator'),
      })
      expect(byName.alias).toMatchObject({ type: 'dict' })
      expect((await backend.run('repr(keep)')).result).toBe('[1.0]')
      await backend.close()
    })

    it('a name that was kept and then bound to what cannot be kept is unbound, never left stale', async () => {
      const backend = session()
      await backend.run('g = [1, 2]')
      const run = await backend.run('g = iter(g)')
      expect(run.notKept?.map((entry) => entry.name)).toEqual(['g'])
      await expect(backend.run('g')).rejects.toMatchObject({ excType: 'NameError' })
      await backend.close()
    })

    it('binding the name again clears it, by a value or a def', async () => {
      const backend = session()
      await backend.run(`${FACTORY}triple = mk(3)\nquad = mk(4)`)
      expect((await backend.run('triple = 5')).notKept).toBeUndefined()
      expect((await backend.run('triple')).result).toBe(5)
      await backend.run('def quad(v):\n    return v * 4')
      expect((await backend.run('quad(2)')).result).toBe(8)
      await backend.close()
    })

    it('Python code catching the NameError sees a NameError', async () => {
      const backend = session()
      await backend.run('it = iter([])')
      expect(
        (await backend.run('try:\n    it\n    r = "found"\nexcept NameError:\n    r = "missing"\nr')).result,
      ).toBe('missing')
      await backend.close()
    })

    it('the record survives dumpState / loadState', async () => {
      const backend = session()
      await backend.run('it = iter([])')
      const other = session()
      await other.loadState(await backend.dumpState())
      const error = await other.run('it').catch((e: unknown) => e)
      expect((error as { pythonMessage: string }).pythonMessage).toContain('run 1 of this session')
      await backend.close()
      await other.close()
    })
  })
}
