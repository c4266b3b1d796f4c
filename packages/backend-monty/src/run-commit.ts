/**
 * The end of a run, in two steps and without Monty: `readRunOutput` checks and converts what the
 * program handed back (its result and the values of the names it collected) and changes nothing;
 * `commitRun` then applies the run to the session state. A run whose output is refused (a result
 * that is not data, a value past the budget) throws from the first step, so the namespace is left
 * exactly as it was.
 */
import { ValueConversionError } from '@pyflue/core'
import type { DataclassRegistry } from './dataclass-registry.js'
import { commitCollected, type NotKeptEntry, type SessionState } from './session-state.js'
import type { CodeDefinition } from './snippet-analysis.js'
import { chargeValue, ValueBudget, type ValueBudgetLimits } from './value-budget.js'
import { fromMonty } from './value-conversion.js'
import { type CollectedOutcome, readCollected, resultNonData, type WalkNote } from './value-notes.js'

/**
 * What the program hands back (`program-builder.ts`): the result, its type name, each collected
 * name's `[value, type name]` (`null` when the program did not bind it), the walk's notes on the
 * collected values and on the result.
 */
export type RunOutput = readonly [
  result: unknown,
  resultType: string,
  collected: readonly (readonly [unknown, string] | null)[],
  notes: readonly WalkNote[],
  resultNotes: readonly WalkNote[],
]

/** The run's output, checked: the result in JavaScript form, and what becomes of each collected name. */
export interface ReadOutput {
  readonly result: unknown
  /** One per collected name, in order; `undefined` for a name the program did not bind. */
  readonly outcomes: readonly (CollectedOutcome | undefined)[]
}

/** The type names of the plain scalars, the values a program may hand back unwalked. */
const SCALAR_TYPES = new Set(['int', 'float', 'str', 'bytes', 'bool', 'NoneType'])

/**
 * Checks and converts `output` for the collected `names`. Throws `ValueConversionError` for a
 * result that is not data (a module, a range, a cycle…) or a value past `valueLimits`. With
 * `scalarOnly` (the program had no walker: `RunPlan.scalarOnly`), a value of another type is the
 * engine's own error, thrown before anything commits.
 */
export function readRunOutput(
  output: RunOutput,
  names: readonly string[],
  dataclasses: DataclassRegistry,
  valueLimits: ValueBudgetLimits,
  scalarOnly = false,
): ReadOutput {
  const [resultRaw, resultType, collected, notes, resultNotes] = output
  if (scalarOnly) {
    const types = [resultType, ...collected.map((entry) => entry?.[1] ?? 'NoneType')]
    const wrong = types.find((type) => !SCALAR_TYPES.has(type))
    if (wrong !== undefined)
      throw new Error(`PyFlue engine error: a run proven to hand back only scalars handed back a ${wrong}`)
  }
  const problem = resultNonData(resultRaw, resultNotes, 'result')
  if (problem) {
    throw new ValueConversionError({
      path: problem.path,
      found: problem.found,
      message: `A Python ${problem.found} is not data and cannot cross into JavaScript; return data built from it instead`,
    })
  }
  const budget = new ValueBudget(valueLimits)
  const result = fromMonty(resultRaw, 'result', dataclasses, budget, { checked: true })
  const values = collected.map((entry) => entry?.[0])
  values.forEach((value, index) => {
    if (collected[index]) chargeValue(value, budget, names[index]!)
  })
  const outcomes = readCollected(
    values,
    collected.map((entry) => entry?.[1] ?? 'NoneType'),
    notes,
  ).map((outcome, index) => (collected[index] ? outcome : undefined))
  return { result, outcomes }
}

/**
 * Applies a run to `state`: each collected name's outcome (`commitCollected`), then the snippet's
 * own definitions, which replace any value or earlier definition of their names and are numbered
 * in the order made. Returns the names that could not be kept.
 */
export function commitRun(
  state: SessionState,
  names: readonly string[],
  outcomes: readonly (CollectedOutcome | undefined)[],
  definitions: Iterable<CodeDefinition>,
  scriptName: string,
): NotKeptEntry[] {
  const notKept = commitCollected(state, names, outcomes, scriptName)
  for (const definition of definitions) {
    state.touched.add(definition.name)
    state.data.delete(definition.name)
    state.special.delete(definition.name)
    state.notKept.delete(definition.name)
    state.definitions.set(definition.name, { ...definition, scriptName, seq: state.nextSeq++ })
  }
  return notKept
}
