/**
 * Which runs are proven to hand back only plain scalars (and so run without the walker), from
 * the snippet's analysis and the session alone (no Monty), and that such runs keep their values
 * exactly end to end.
 */
import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { buildProgram } from './program-builder.js'
import { PyFloat } from './python-values.js'
import { planRun } from './run-plan.js'
import { emptyState, type SessionState, type StoredDefinition } from './session-state.js'
import { analyzeSnippet } from './snippet-analysis.js'
import { tuple } from './value-conversion.js'

function stateOf(data: Record<string, unknown>, sources: string[] = []): SessionState {
  const state = emptyState()
  for (const [name, value] of Object.entries(data)) state.data.set(name, value)
  for (const source of sources) {
    for (const definition of analyzeSnippet(source).definitions.values()) {
      const stored: StoredDefinition = { ...definition, scriptName: 'main.py', seq: state.nextSeq++ }
      state.definitions.set(definition.name, stored)
    }
  }
  return state
}

const scalarOnly = (code: string, state: SessionState = emptyState(), inputs: Record<string, unknown> = {}) =>
  planRun({
    code,
    scriptName: 'main.py',
    analysis: analyzeSnippet(code),
    state,
    runInputs: new Map(Object.entries(inputs)),
    externals: new Map(),
  }).scalarOnly

describe('scalar-only runs (no Monty)', () => {
  it('proves literals, arithmetic, comparisons, f-strings and scalar builtins', () => {
    for (const code of [
      'x = 1',
      'x = -2.5 * 3 + 1 // 2 ** 4 % 7',
      'x = "a" + f"{y}"\ny = 1',
      'x = y = None',
      'x = not [1]',
      'x = [1] == [2]',
      'x = 1 if True else "s"',
      'x = len([1, 2]) + int("3")',
      'x = 0\nfor i in range(3):\n    x += i',
      'x = 1\nx += 2.0',
      '1 + 2',
      'print("hi")',
      'def f():\n    return [1]',
    ])
      expect(scalarOnly(code), code).toBe(true)
  })

  it('leaves containers, other calls, subscripts and unsure bindings to the walker', () => {
    for (const code of [
      'x = [1]',
      'x = (1, 2)',
      'x = f()',
      'x = y[0]',
      'x = a.b',
      'x = len',
      'x = 1j',
      'a, b = 1, 2',
      'for i in [1, 2]:\n    pass',
      'x = 1\nx = []',
      'x = 1\nx += [2]',
      'def g():\n    global x\n    x = [1]\nx = 1\ng()',
      '[x := 1]',
      'with open("f") as x:\n    pass',
      'x = __pf_type',
      '[1, 2]',
      'x = 1\n(x, x)',
    ])
      expect(scalarOnly(code), code).toBe(false)
  })

  it('reads what the session and the inputs hold', () => {
    expect(scalarOnly('x = y + 1', stateOf({ y: 2 }))).toBe(true)
    expect(scalarOnly('x = y + 1', stateOf({ y: new PyFloat(2) }))).toBe(true)
    expect(scalarOnly('x = y + 1', stateOf({ y: [2] }))).toBe(false)
    expect(scalarOnly('x = y + 1', emptyState(), { y: 3 })).toBe(true)
    expect(scalarOnly('x = y + 1', emptyState(), { y: [3] })).toBe(false)
    // A name bound only conditionally keeps its value from before.
    expect(scalarOnly('if c:\n    x = 1', stateOf({ c: false, x: 'old' }))).toBe(true)
    expect(scalarOnly('if c:\n    x = 1', stateOf({ c: false, x: ['old'] }))).toBe(false)
    // A shadowed builtin is not the builtin.
    expect(scalarOnly('x = len("ab")', stateOf({ len: 3 }))).toBe(false)
    expect(scalarOnly('for i in range(2):\n    pass', stateOf({}, ['def range(n):\n    return [[n]]']))).toBe(
      false,
    )
    // A name a session function binds through `global` is not proven.
    expect(scalarOnly('x = 1\nset_x()', stateOf({}, ['def set_x():\n    global x\n    x = [1]']))).toBe(false)
  })

  it('builds a program without the walker for a scalar-only run', () => {
    const program = buildProgram({
      scriptName: 'main.py',
      declare: ['x'],
      wrappers: [],
      definitions: [],
      userCode: 'x = 2.0',
      collect: ['x'],
      collectAfterMarker: [],
      scalarOnly: true,
    })
    expect(program.source).not.toContain('def __pf_walk(')
    expect(program.source).toContain('__pf_out.append((x, __pf_type(x).__name__))')
  })
})

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
