import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { aliasOf, moduleBinding } from './value-aliases.js'
import { tuple } from './value-conversion.js'

describe('aliasOf (no Monty)', () => {
  it('names a builtin function or type by its repr', () => {
    expect(aliasOf(['<built-in function len>', []], 'builtin_function_or_method')).toEqual({
      imports: [],
      expression: 'len',
    })
    expect(aliasOf(["<class 'int'>", []], 'type')).toEqual({ imports: [], expression: 'int' })
    expect(aliasOf(["<class 'KeyError'>", []], 'type')).toEqual({ imports: [], expression: 'KeyError' })
  })

  it("names a module's function or type only where Python found the very object", () => {
    expect(aliasOf(['<function sqrt at 0x1c490eea279165>', ['math']], 'builtin_function_or_method')).toEqual({
      imports: ['math'],
      expression: `${moduleBinding('math')}.sqrt`,
    })
    expect(aliasOf(["<class 'datetime.datetime'>", ['datetime']], 'type')).toEqual({
      imports: ['datetime'],
      expression: `${moduleBinding('datetime')}.datetime`,
    })
    // The same repr without Python's confirmation is not enough.
    expect(aliasOf(['<function sqrt at 0x1c490eea279165>', []], 'builtin_function_or_method')).toBeUndefined()
    expect(aliasOf(["<class 'NoneType'>", []], 'type')).toBeUndefined()
  })

  it('refuses what is not a name, a known module or a builtin', () => {
    expect(aliasOf(['<built-in function not_a_builtin>', []], 'builtin_function_or_method')).toBeUndefined()
    expect(aliasOf(['<function x at 0x1>', ['evil']], 'builtin_function_or_method')).toBeUndefined()
    expect(aliasOf(['<function a.b at 0x1>', ['math']], 'builtin_function_or_method')).toBeUndefined()
    expect(aliasOf('<built-in function len>', 'builtin_function_or_method')).toBeUndefined()
  })

  it('rebuilds a regex from one string literal and integer flags, nothing else', () => {
    expect(aliasOf(["'a+'", 2], 're.Pattern')).toEqual({
      imports: ['re'],
      expression: `${moduleBinding('re')}.compile('a+', 2)`,
    })
    expect(aliasOf(["'a') or print('x'", 0], 're.Pattern')).toBeUndefined()
    expect(aliasOf(["'a'", '0; import os'], 're.Pattern')).toBeUndefined()
    expect(aliasOf(["'a'\n", 0], 're.Pattern')).toBeUndefined()
  })
})

const modes = ['pool', 'in-thread-trusted-code-only'] as const

for (const execution of modes) {
  describe(`aliases of builtins, module functions and regexes (${execution})`, () => {
    it('survive dumpState / loadState into another backend', async () => {
      const first = createMontyBackend({ execution })
      await first.run('import math, re\nf = len\ns = math.sqrt\nrx = re.compile("x+", re.I)\nE = KeyError')
      const state = await first.dumpState()
      await first.close()
      const second = createMontyBackend({ execution })
      await second.loadState(state)
      const r = await second.run('(f([1, 2, 3]), s(9) == 3.0, rx.match("XX") is not None, E is KeyError)')
      expect(r.result).toEqual(tuple(3, true, true, true))
      await second.close()
    })

    it('are listed with their Python types and how they were bound', async () => {
      const backend = createMontyBackend({ execution })
      await backend.run('import math\nf = len\ns = math.sqrt\nt = int')
      const variables = await backend.listVariables()
      expect(variables.filter((v) => ['f', 's', 't'].includes(v.name))).toEqual([
        { name: 'f', type: 'builtin_function_or_method', preview: 'f = len' },
        { name: 's', type: 'builtin_function_or_method', preview: 's = math.sqrt' },
        { name: 't', type: 'type', preview: 't = int' },
      ])
      await backend.close()
    })

    it('inside a container are reported as not kept, with what to do instead', async () => {
      const backend = createMontyBackend({ execution })
      const run = await backend.run('fs = [len, sorted]')
      expect(run.notKept).toEqual([
        {
          name: 'fs',
          type: 'list',
          reason: expect.stringContaining(
            'inside a container cannot be carried to a later run; bind it to a name',
          ),
        },
      ])
      await expect(backend.run('fs')).rejects.toMatchObject({ excType: 'NameError' })
      await backend.close()
    })

    it('a type Python cannot name again is reported as not kept', async () => {
      const backend = createMontyBackend({ execution })
      const run = await backend.run('t = type(None)')
      expect(run.notKept).toEqual([
        { name: 't', type: 'type', reason: expect.stringContaining('cannot name again') },
      ])
      await backend.close()
    })

    it('cannot be passed to a JavaScript function, whose arguments stay data', async () => {
      const backend = createMontyBackend({ execution })
      await backend.run('f = len')
      await expect(
        backend.run('echo(f)', { externalFunctions: { echo: (v: unknown) => v } }),
      ).rejects.toMatchObject({ excType: 'TypeError' })
      await backend.close()
    })
  })
}
