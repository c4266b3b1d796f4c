/**
 * The end of a run without Monty: `readRunOutput` refuses a result that is not data and a value
 * past the budget before anything changes, and converts the rest; `commitRun` binds values,
 * turns modules into import definitions, remembers what could not be kept, and lets the
 * snippet's own definitions replace what their names held.
 */
import { ValueConversionError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { DataclassRegistry } from './dataclass-registry.js'
import { commitRun, type RunOutput, readRunOutput } from './run-commit.js'
import { emptyState } from './session-state.js'
import { analyzeSnippet } from './snippet-analysis.js'
import { valueBudgetLimits } from './value-budget.js'

const limits = valueBudgetLimits(undefined, undefined, (_argument, message) => {
  throw new Error(message)
})

describe('readRunOutput', () => {
  it('converts the result and reads each collected value; a name not bound has no outcome', () => {
    const output: RunOutput = [42, 'int', [[[1, 2], 'list'], null], [], []]
    const read = readRunOutput(output, ['items', 'unbound'], new DataclassRegistry(), limits)
    expect(read.result).toBe(42)
    expect(read.outcomes).toEqual([{ kind: 'value', value: [1, 2] }, undefined])
  })

  it('refuses a result that is not data', () => {
    const output: RunOutput = [null, 'module', [], [], [[[], 'module', 'math']]]
    expect(() => readRunOutput(output, [], new DataclassRegistry(), limits)).toThrow(ValueConversionError)
  })

  it('refuses a collected value past the value budget, naming it', () => {
    const small = valueBudgetLimits(3, undefined, (_argument, message) => {
      throw new Error(message)
    })
    const output: RunOutput = [null, 'NoneType', [[[1, 2, 3, 4], 'list']], [], []]
    expect(() => readRunOutput(output, ['big'], new DataclassRegistry(), small)).toThrow(/big/)
  })
})

describe('commitRun', () => {
  it('binds values, replaces a definition of the same name, and counts the run', () => {
    const state = emptyState()
    const [f] = analyzeSnippet('def f():\n    return 1').definitions.values()
    state.definitions.set('f', { ...f!, scriptName: 'a.py', seq: state.nextSeq++ })
    const notKept = commitRun(
      state,
      ['x', 'f'],
      [
        { kind: 'value', value: 1 },
        { kind: 'value', value: 'now data' },
      ],
      [],
      'b.py',
    )
    expect(notKept).toEqual([])
    expect(state.data).toEqual(
      new Map<string, unknown>([
        ['x', 1],
        ['f', 'now data'],
      ]),
    )
    expect(state.definitions.has('f')).toBe(false)
    expect(state.runs).toBe(1)
  })

  it('keeps a module as an import definition and remembers what could not be kept', () => {
    const state = emptyState()
    state.data.set('it', [1])
    const notKept = commitRun(
      state,
      ['m', 'it'],
      [
        { kind: 'module', module: 'math' },
        { kind: 'not-kept', type: 'list_iterator', reason: 'an iterator cannot be rebuilt' },
      ],
      [],
      'main.py',
    )
    expect(state.definitions.get('m')).toMatchObject({ kind: 'import', source: 'import math as m' })
    expect(state.data.has('it')).toBe(false)
    expect(state.notKept.get('it')).toMatchObject({ run: 1, scriptName: 'main.py', type: 'list_iterator' })
    expect(notKept).toEqual([{ name: 'it', type: 'list_iterator', reason: 'an iterator cannot be rebuilt' }])
  })

  it("lets the snippet's definitions replace values, numbered in the order made", () => {
    const state = emptyState()
    state.data.set('g', 5)
    state.notKept.set('h', { run: 1, scriptName: 'x.py', type: 'generator', reason: 'r' })
    const definitions = analyzeSnippet('def g():\n    return 2\ndef h():\n    return 3').definitions.values()
    commitRun(state, [], [], definitions, 'main.py')
    expect(state.data.has('g')).toBe(false)
    expect(state.notKept.has('h')).toBe(false)
    expect(state.definitions.get('g')).toMatchObject({ seq: 0, scriptName: 'main.py' })
    expect(state.definitions.get('h')).toMatchObject({ seq: 1 })
  })
})
