/**
 * `planRun` without Monty: from a snippet's analysis (`@lezer/python`) and a session state built
 * by hand, which definitions are re-emitted, which values go eagerly or lazily, what comes back,
 * which externals are wrapped, and when two runs share a program.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { prepareExternals } from './external-functions.js'
import { PyFloat } from './python-values.js'
import { planRun, type RunPlanInput } from './run-plan.js'
import { emptyState, type SessionState, type StoredDefinition } from './session-state.js'
import { SESSION_NODES_INPUT, SESSION_VALUES_INPUT } from './session-values.js'
import { analyzeSnippet } from './snippet-analysis.js'

/** A state holding `data`, and the definitions `sources` make, in order. */
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

function plan(code: string, state: SessionState, extra: Partial<RunPlanInput> = {}) {
  return planRun({
    code,
    scriptName: 'main.py',
    analysis: analyzeSnippet(code),
    state,
    runInputs: new Map(),
    externals: new Map(),
    ...extra,
  })
}

describe('planRun', () => {
  it('re-emits the definitions a snippet reads, transitively, in the order they were made', () => {
    const state = stateOf({ base: 10 }, [
      'def g(x):\n    return x + base',
      'def f(x):\n    return g(x) * 2',
      'def h():\n    return 0',
    ])
    const made = plan('f(1)', state)
    expect(made.definitions.map((d) => d.name)).toEqual(['g', 'f'])
    expect([...made.emitted.keys()].sort()).toEqual(['f', 'g'])
    // `base` is read inside a function: passed eagerly, not looked up.
    expect(made.montyInputs).toEqual({ base: 10 })
  })

  it('looks up module-level reads lazily and collects mutable ones after the end marker', () => {
    const state = stateOf({ items: [1, 2], n: 3 })
    const made = plan('total = n + len(items)', state)
    expect(made.montyInputs).toEqual({})
    expect(made.collect).toEqual(['total'])
    expect(made.collectAfterMarker).toEqual(['items'])
  })

  it('passes a value named like a builtin eagerly and renamed', () => {
    const state = stateOf({ type: 'mine', len: 4 })
    const made = plan('x = type + str(len)', state)
    expect(Object.keys(made.montyInputs).sort()).toEqual(['len', 'type'])
    expect([...made.renamedInputs].sort()).toEqual(['len', 'type'])
  })

  it('hands in and collects back every name sharing an object with one the run binds', () => {
    const shared = [1]
    const state = stateOf({ x: shared, y: shared })
    state.special.set('x', ['x', 'y'])
    state.special.set('y', ['x', 'y'])
    const made = plan('x.append(2)', state)
    expect([...made.collect].sort()).toEqual(['x', 'y'])
    // Values that travel rebuilt go encoded, bound by the prologue.
    expect([...made.sessionValues].sort()).toEqual(['x', 'y'])
    expect(Object.keys(made.montyInputs).sort()).toEqual([SESSION_NODES_INPUT, SESSION_VALUES_INPUT].sort())
  })

  it('lets inputs and externals shadow stored names and definitions', () => {
    const state = stateOf({ rate: 2 }, ['def price(item):\n    return 1'])
    const externals = prepareExternals({ price: (item: unknown) => item })
    const made = plan('price("a") * rate', state, { runInputs: new Map([['rate', 5]]), externals })
    expect(made.definitions).toEqual([])
    expect(made.shadowed('rate')).toBe(true)
    expect(made.shadowed('price')).toBe(true)
    expect(made.wrapped.map((e) => e.name)).toEqual(['price'])
    expect(made.montyInputs).toEqual({ rate: 5 })
  })

  it('makes a schema-declared async external awaitable only where the code awaits it', () => {
    const externals = prepareExternals({
      fetch_price: { parameters: z.object({}), execute: async () => 1 },
    })
    const awaited = plan('p = await fetch_price()', emptyState(), { externals })
    expect(awaited.externals.get('fetch_price')?.awaitable).toBe(true)
    const plain = plan('p = fetch_price()', emptyState(), { externals })
    expect(plain.externals.get('fetch_price')?.awaitable).toBeUndefined()
  })

  it('gives the same key to the same run and another key when the plan differs', () => {
    const state = stateOf({ a: 1, f: new PyFloat(2) })
    state.special.set('f', ['f'])
    expect(plan('b = a + 1', state).key).toBe(plan('b = a + 1', state).key)
    expect(plan('b = a + 1', state).key).not.toBe(plan('b = a + 2', state).key)
    expect(plan('b = f', state).key).not.toBe(plan('b = a', state).key)
    expect(plan('b = a', state).declare).toEqual(['b'])
  })
})

const scalarOnly = (code: string, state: SessionState = emptyState(), inputs: Record<string, unknown> = {}) =>
  plan(code, state, { runInputs: new Map(Object.entries(inputs)) }).scalarOnly

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

  it('takes the flag a resume gives, whatever the inputs now say', () => {
    // A resume knows its inputs' names only; the pause records how the program was built.
    expect(
      plan('ys = xs', emptyState(), { runInputs: new Map([['xs', null]]), scalarOnly: false }).scalarOnly,
    ).toBe(false)
    expect(plan('ys = xs', emptyState(), { runInputs: new Map([['xs', null]]) }).scalarOnly).toBe(true)
  })
})
