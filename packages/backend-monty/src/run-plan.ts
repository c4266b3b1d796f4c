/**
 * `planRun`: what one run hands to Monty, decided from the snippet's analysis and the session
 * state alone (no Monty, no I/O, nothing changed): which stored definitions are re-emitted, which
 * session values are passed eagerly and which are looked up lazily, which names are collected
 * back, which externals get a wrapper, and the key of the program built from all that.
 *
 * - Definitions the snippet reads are re-emitted, with everything they read, transitively; a
 *   name the run's inputs or externals shadow is not.
 * - Names read by nested code (functions, lambdas, comprehensions), names read by re-emitted
 *   definitions, names that are also builtins and names whose values travel rebuilt are passed
 *   eagerly; other module-level reads are looked up lazily.
 * - Collected back: everything the snippet binds at module level (its own definitions aside),
 *   the globals its re-emitted definitions bind, names sharing an object with a name handed in,
 *   and mutable session values it reads (after the end marker when looked up lazily).
 * - A schema-declared external with an async `execute` becomes awaitable when the snippet or a
 *   re-emitted definition awaits it.
 * - An input named like a builtin travels renamed; session values Monty would change travel
 *   encoded (`session-values.ts`).
 */
import type { PreparedExternal } from './external-functions.js'
import { hasAsyncExecute } from './external-functions.js'
import { isBuiltinName } from './python-builtins.js'
import { PyFloat, PyRange } from './python-values.js'
import { provenScalars, type ScalarContext, shapeHolds } from './scalar-shape.js'
import { type SessionState, type StoredDefinition, travellingWith } from './session-state.js'
import { encodeSessionValues, SESSION_NODES_INPUT, SESSION_VALUES_INPUT } from './session-values.js'
import type { SnippetAnalysis } from './snippet-analysis.js'

/** What `planRun` decides from. */
export interface RunPlanInput {
  readonly code: string
  readonly scriptName: string
  readonly analysis: SnippetAnalysis
  readonly state: SessionState
  /** The run's `inputs`, already in Monty form. */
  readonly runInputs: ReadonlyMap<string, unknown>
  /** The run's external functions (`prepareExternals`). */
  readonly externals: ReadonlyMap<string, PreparedExternal>
  /** True for the name of a registered dataclass (its constructor is answered at a pause). */
  readonly isDataclass?: (name: string) => boolean
  /**
   * Given by a resume: whether the paused program was built scalar-only. The resume must build
   * the same program, and its inputs' values (which decided it at the start) are not kept.
   */
  readonly scalarOnly?: boolean
}

/** What one run hands to Monty. */
export interface RunPlan {
  /** The run's externals, with `awaitable` set where the code awaits them. */
  readonly externals: ReadonlyMap<string, PreparedExternal>
  /** True for a name an input or an external shadows. */
  readonly shadowed: (name: string) => boolean
  /** The stored definitions re-emitted, by name. */
  readonly emitted: ReadonlyMap<string, StoredDefinition>
  /** Every name the snippet and its re-emitted definitions read. */
  readonly allReads: ReadonlySet<string>
  /** The names collected back before the end marker, then after it. */
  readonly collect: readonly string[]
  readonly collectAfterMarker: readonly string[]
  /** Monty's inputs, by their Python names (before builtin-named ones are renamed). */
  readonly montyInputs: Record<string, unknown>
  readonly renamedInputs: readonly string[]
  /** Session values passed encoded, bound by the program's prologue. */
  readonly sessionValues: readonly string[]
  /** The externals the program wraps (those it reads). */
  readonly wrapped: readonly PreparedExternal[]
  /** The re-emitted definitions in the order they were made. */
  readonly definitions: readonly StoredDefinition[]
  /** The names the program declares. */
  readonly declare: readonly string[]
  /**
   * True when every collected value and the result are proven plain scalars before the run
   * (`scalar-shape.ts`): the program then hands them back with their type names and no walk.
   */
  readonly scalarOnly: boolean
  /** Equal for two runs whose programs are the same. */
  readonly key: string
  /**
   * False when the program can run without pausing (no lazy lookup, wrapped external or
   * dataclass constructor): Monty's `run()` is then the same program, faster. Mounts aside.
   */
  readonly mayPause: boolean
}

export function planRun(input: RunPlanInput): RunPlan {
  const { code, scriptName, analysis, state, runInputs } = input
  const externals = new Map(input.externals)
  const shadowed = (name: string) => runInputs.has(name) || externals.has(name)

  // Session definitions the run needs, transitively.
  const emitted = new Map<string, StoredDefinition>()
  const allReads = new Set(analysis.reads)
  const pending = [...analysis.reads]
  while (pending.length > 0) {
    const name = pending.pop()!
    const definition = state.definitions.get(name)
    if (!definition || emitted.has(name) || shadowed(name)) continue
    emitted.set(name, definition)
    for (const read of definition.reads) {
      allReads.add(read)
      pending.push(read)
    }
  }
  const definitionGlobals = new Set<string>()
  for (const definition of emitted.values())
    for (const name of definition.globals) definitionGlobals.add(name)
  // Session values the program needs. Names read only by the snippet's module-level code are
  // looked up lazily (Monty keeps a looked-up value for the rest of the run, so an untouched
  // name costs nothing). Names read inside functions, lambdas or comprehensions are passed as
  // inputs: Monty does not keep values looked up there, so each call would see a fresh copy.
  const eager = new Set<string>(analysis.nestedReads)
  // A session value named like a builtin is never looked up lazily: Monty finds the builtin.
  for (const name of allReads) if (isBuiltinName(name)) eager.add(name)
  for (const definition of emitted.values()) for (const read of definition.reads) eager.add(read)
  // A value that travels rebuilt (a float, a frozenset, a shared object…) is bound before the
  // snippet runs, never looked up lazily (`session-values.ts`).
  for (const name of allReads) if (state.special.has(name)) eager.add(name)
  // A float or a range held in session form is an object here, but nothing can change it.
  const isMutable = (value: unknown) =>
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    !(value instanceof PyFloat) &&
    !(value instanceof PyRange)

  // Names handed back at the end: everything the snippet binds at module level (its own
  // definitions excepted), and mutable session values it may have changed.
  const collect: string[] = []
  const montyInputs: Record<string, unknown> = {}
  const setInput = (name: string, value: unknown) =>
    Object.defineProperty(montyInputs, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  for (const [name, value] of runInputs) setInput(name, value)
  for (const name of new Set([...analysis.assigned, ...definitionGlobals])) {
    if (analysis.definitions.has(name)) continue
    collect.push(name)
    if (!runInputs.has(name) && state.data.has(name)) setInput(name, state.data.get(name))
  }
  // Names sharing an object with a name the run is handed travel with it, and come back with it.
  for (const name of travellingWith(
    state,
    [...collect, ...allReads].filter((n) => !shadowed(n)),
  )) {
    if (collect.includes(name) || shadowed(name) || analysis.definitions.has(name)) continue
    collect.push(name)
    setInput(name, state.data.get(name))
  }
  const collectSet = new Set(collect)
  const collectAfterMarker: string[] = []
  for (const name of allReads) {
    if (collectSet.has(name) || shadowed(name) || emitted.has(name) || analysis.definitions.has(name))
      continue
    if (!state.data.has(name)) continue
    const value = state.data.get(name)
    if (eager.has(name)) {
      setInput(name, value)
      if (isMutable(value)) collect.push(name)
    } else if (isMutable(value)) {
      collectAfterMarker.push(name)
    }
  }
  // A schema-declared function with an async `execute` is an `async def` when the code awaits it.
  for (const external of externals.values()) {
    if (!hasAsyncExecute(external)) continue
    // Stored definitions keep no syntax tree: linear text tests stand in for the analysis.
    const awaitedCall = new RegExp(`\\bawait\\s+${external.name}\\s*\\(`)
    const anyCall = new RegExp(`\\b${external.name}\\s*\\(`)
    const awaitedHere =
      analysis.awaited.has(external.name) ||
      [...emitted.values()].some(
        ({ source }) => awaitedCall.test(source) || (source.includes('gather(') && anyCall.test(source)),
      )
    if (awaitedHere) externals.set(external.name, { ...external, awaitable: true })
  }
  const wrapped = [...externals.values()].filter((e) => allReads.has(e.name))
  const definitions = [...emitted.values()].sort((a, b) => a.seq - b.seq)
  // Monty lets a builtin win over an input of the same name, so such an input travels under
  // another name and is bound to its own by the program (see buildProgram).
  // Session values Monty would change travel rebuilt (`session-values.ts`), bound by the prologue.
  const sessionValues = Object.keys(montyInputs).filter(
    (name) => !runInputs.has(name) && state.special.has(name),
  )
  const encodedSession =
    sessionValues.length > 0 ? encodeSessionValues(sessionValues.map((name) => montyInputs[name])) : undefined
  for (const name of sessionValues) delete montyInputs[name]
  if (encodedSession) {
    setInput(SESSION_VALUES_INPUT, encodedSession.values)
    setInput(SESSION_NODES_INPUT, encodedSession.nodes)
  }
  const renamedInputs = Object.keys(montyInputs).filter(isBuiltinName)
  const scalarOnly =
    input.scalarOnly ??
    (collectAfterMarker.length === 0 &&
      wrapped.length === 0 &&
      provesScalars(input, collect, definitionGlobals))
  const planKey = [
    scalarOnly ? 'scalar' : 'walk',
    scriptName,
    renamedInputs.join(','),
    sessionValues.join(','),
    code,
    definitions.map((d) => d.seq).join(','),
    wrapped.map((e) => `${e.name}:${e.kind}${e.awaitable ? ':awaitable' : ''}`).join(','),
    collect.join(','),
    collectAfterMarker.join(','),
  ].join('\0')

  const declare = new Set([
    ...collect,
    ...analysis.definitions.keys(),
    ...emitted.keys(),
    ...wrapped.map((e) => e.name),
  ])
  return {
    externals,
    shadowed,
    emitted,
    allReads,
    collect,
    collectAfterMarker,
    montyInputs,
    renamedInputs,
    sessionValues,
    wrapped,
    definitions,
    declare: [...declare],
    scalarOnly,
    key: planKey,
    mayPause:
      wrapped.length > 0 ||
      collectAfterMarker.length > 0 ||
      [...allReads].some(
        (name) =>
          (state.data.has(name) && !shadowed(name) && !Object.hasOwn(montyInputs, name)) ||
          input.isDataclass?.(name) === true,
      ),
  }
}

/** A session or input value that is a plain scalar (in session or Monty form). */
function isScalarValue(value: unknown): boolean {
  const type = typeof value
  return (
    value === null ||
    type === 'undefined' ||
    type === 'number' ||
    type === 'string' ||
    type === 'boolean' ||
    type === 'bigint' ||
    value instanceof PyFloat ||
    value instanceof Uint8Array
  )
}

/**
 * Whether every name in `collect` and the snippet's last expression are proven plain scalars
 * (`scalar-shape.ts`), given what the session and the run's inputs hold. A name a re-emitted
 * definition may bind (`global`) is never proven: the snippet's code does not show the binding.
 */
function provesScalars(
  input: RunPlanInput,
  collect: readonly string[],
  definitionGlobals: ReadonlySet<string>,
): boolean {
  const { analysis, state, runInputs, externals } = input
  const known = (name: string) =>
    externals.has(name) || input.isDataclass?.(name) === true || state.definitions.has(name)
  const context: ScalarContext = {
    before: (name) => {
      if (name.startsWith('__pf_') || definitionGlobals.has(name) || known(name)) return false
      if (runInputs.has(name)) return isScalarValue(runInputs.get(name))
      if (state.data.has(name)) return isScalarValue(state.data.get(name))
      return !isBuiltinName(name)
    },
    builtinCall: (name) =>
      isBuiltinName(name) &&
      !analysis.assigned.has(name) &&
      !runInputs.has(name) &&
      !state.data.has(name) &&
      !known(name),
  }
  const proven = provenScalars(analysis.scalars, context)
  if (!collect.every((name) => proven.has(name))) return false
  return !analysis.lastExpression || shapeHolds(analysis.resultShape, analysis.scalars, proven, context)
}
