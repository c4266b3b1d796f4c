/**
 * `answerHostCall`: how the host answers a run paused at a call. A call of an external function
 * (through its wrapper) converts the arguments into JavaScript, calls the function under the run's
 * deadline and signal, and hands its return value back; a call of a registered dataclass builds
 * the instance with Python's argument rules; any other name is a `NameError`. A failure of the
 * function is a Python exception the snippet can catch, its message naming sandbox paths only; the
 * deadline and an abort end the run.
 */
import { ResourceLimitError } from '@pyflue/core'
import type { DataclassRegistry } from './dataclass-registry.js'
import type { Step } from './execution.js'
import {
  callExternal,
  type PreparedExternal,
  PythonRaise,
  RAW_CHECKED_PREFIX,
  RAW_EXTERNAL_PREFIX,
  RECHECK_MESSAGE,
  toPythonRaise,
} from './external-functions.js'
import { isAbort, type RunClock, raceDeadline } from './run-limits.js'
import { ValueBudget, type ValueBudgetLimits } from './value-budget.js'
import { fromMonty, readsLikeNonData, toMonty } from './value-conversion.js'

/** What answering a call needs from the run. */
export interface HostCallContext {
  readonly externals: ReadonlyMap<string, PreparedExternal>
  readonly dataclasses: DataclassRegistry
  readonly valueLimits: ValueBudgetLimits
  readonly clock: RunClock
  readonly maxDurationSecs: number
  readonly signal: AbortSignal | undefined
  /** Rewrites host paths in a message Python will see into sandbox paths. */
  readonly redact: (message: string) => string
}

/** The arguments of a call of the external `name`, in JavaScript form (throws when one cannot cross). */
export function callArguments(
  call: Extract<Step, { kind: 'call' }>,
  name: string,
  dataclasses: DataclassRegistry,
  valueLimits: ValueBudgetLimits,
): { args: unknown[]; kwargs: Record<string, unknown> } {
  const budget = new ValueBudget(valueLimits)
  // Strings are taken as strings: a call whose strings read like a non-data value's text has
  // been checked in Python first (`externalOfCall`'s `checked`).
  const options = { trustStrings: true }
  const args = call.args.map((arg, i) =>
    fromMonty(arg, `${name}() argument ${i + 1}`, dataclasses, budget, options),
  )
  const kwargs: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(call.kwargs)) {
    kwargs[key] = fromMonty(value, `${name}() argument ${key}`, dataclasses, budget, options)
  }
  return { args, kwargs }
}

/** The external a call of a raw wrapper name goes to, if any (`undefined` for any other name). */
export function externalOfCall(
  name: string,
  externals: ReadonlyMap<string, PreparedExternal>,
): PreparedExternal | undefined {
  return externalCall(name, externals)?.external
}

/**
 * The external a raw call goes to, and whether Python already checked its arguments' types
 * (`RAW_CHECKED_PREFIX`); `undefined` for any other name.
 */
export function externalCall(
  name: string,
  externals: ReadonlyMap<string, PreparedExternal>,
): { external: PreparedExternal; checked: boolean } | undefined {
  for (const [prefix, checked] of [
    [RAW_CHECKED_PREFIX, true],
    [RAW_EXTERNAL_PREFIX, false],
  ] as const) {
    if (!name.startsWith(prefix)) continue
    const external = externals.get(name.slice(prefix.length))
    return external ? { external, checked } : undefined
  }
  return undefined
}

/**
 * True when a raw call must be checked in Python before the host answers it: unchecked, and a
 * string among its arguments reads like a non-data value's text (`readsLikeNonData`).
 */
export function needsRecheck(call: Extract<Step, { kind: 'call' }>, checked: boolean): boolean {
  if (checked) return false
  return (
    call.args.some((arg) => readsLikeNonData(arg)) ||
    Object.values(call.kwargs).some((v) => readsLikeNonData(v))
  )
}

export async function answerHostCall(
  call: Extract<Step, { kind: 'call' }>,
  context: HostCallContext,
): Promise<{ value: unknown } | PythonRaise> {
  const { externals, dataclasses, valueLimits, clock, maxDurationSecs, signal } = context
  const name = call.name
  const target = externalCall(name, externals)
  if (target && needsRecheck(call, target.checked)) return new PythonRaise('LookupError', RECHECK_MESSAGE)
  const external = target?.external
  if (external) {
    let args: unknown[]
    let kwargs: Record<string, unknown>
    try {
      ;({ args, kwargs } = callArguments(call, external.name, dataclasses, valueLimits))
    } catch (error) {
      return new PythonRaise('TypeError', (error as Error).message)
    }
    let returned: unknown
    try {
      returned = await raceDeadline(
        Promise.resolve().then(() => callExternal(external, args, kwargs)),
        clock.deadline,
        maxDurationSecs,
        signal,
      )
    } catch (error) {
      if (error instanceof ResourceLimitError || (signal?.aborted && isAbort(error))) throw error
      const raise = toPythonRaise(error)
      // What Python sees of a host error names sandbox paths only.
      return new PythonRaise(raise.type, context.redact(raise.message))
    }
    return {
      value: toMonty(returned, `${external.name}() return value`, dataclasses, new ValueBudget(valueLimits)),
    }
  }
  const dataclass = dataclasses.byName(name)
  if (dataclass) {
    const fields: Record<string, unknown> = {}
    const args = call.args
    if (args.length > dataclass.fields.length) {
      return new PythonRaise(
        'TypeError',
        `${name}() takes ${dataclass.fields.length} positional arguments but ${args.length} were given`,
      )
    }
    args.forEach((arg, i) => {
      fields[dataclass.fields[i]!] = arg
    })
    for (const [key, value] of Object.entries(call.kwargs)) {
      if (!dataclass.fields.includes(key))
        return new PythonRaise('TypeError', `${name}() got an unexpected keyword argument '${key}'`)
      if (Object.hasOwn(fields, key))
        return new PythonRaise('TypeError', `${name}() got multiple values for argument '${key}'`)
      fields[key] = value
    }
    const missing = dataclass.fields.filter((field) => !Object.hasOwn(fields, field))
    if (missing.length > 0) {
      return new PythonRaise(
        'TypeError',
        `${name}() missing required argument${missing.length > 1 ? 's' : ''}: ${missing.map((m) => `'${m}'`).join(', ')}`,
      )
    }
    const ordered: Record<string, unknown> = {}
    for (const field of dataclass.fields) ordered[field] = fields[field]
    return {
      value: {
        __monty_type__: 'Dataclass',
        name: dataclass.name,
        typeId: dataclass.typeId,
        fieldNames: [...dataclass.fields],
        fields: ordered,
        frozen: dataclass.frozen,
      },
    }
  }
  return new PythonRaise('NameError', `name '${name}' is not defined`)
}
