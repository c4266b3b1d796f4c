import { randomUUID } from 'node:crypto'
import { StateFormatError } from '@pyflue/core'
import { specialNames, specialNamesInSlices } from './session-values.js'
import type { CodeDefinition } from './snippet-analysis.js'
import { decodeStateInSlices } from './state-decode.js'
import { encodeStateInSlices } from './state-encode.js'
import { moduleBinding } from './value-aliases.js'
import type { CollectedOutcome } from './value-notes.js'

/** A definition kept in the session: its source and where it came from. */
export interface StoredDefinition extends CodeDefinition {
  /** The script name of the run that defined it (for tracebacks). */
  readonly scriptName: string
  /** Definition order; re-emitted definitions keep it. */
  readonly seq: number
  /** For an `'alias'`: the Python type of the object it binds (`builtin_function_or_method`, `type`, `re.Pattern`). */
  readonly valueType?: string
}

/** A name an earlier run bound to a value that could not be kept, and why. */
export interface NotKeptRecord {
  /** The number of the run that bound it (1 for a session's first successful run). */
  readonly run: number
  readonly scriptName: string
  /** The Python type of the value (or 'cycle', 'deep'). */
  readonly type: string
  readonly reason: string
}

/**
 * The session namespace: data values in session form (Monty form, with the classes of
 * `python-values.ts`; an object shared by several names or places is one JS object), and
 * definitions (def, lambda, import, module alias) as source. A name is in at most one of the two.
 */
export interface SessionState {
  readonly data: Map<string, unknown>
  readonly definitions: Map<string, StoredDefinition>
  nextSeq: number
  /**
   * The data names whose values must travel rebuilt (`session-values.ts`), each with the names it
   * shares objects with (itself included). A group may name more than still share: harmless.
   */
  readonly special: Map<string, readonly string[]>
  /** Names whose last binding could not be kept, with the run that bound them and why. */
  readonly notKept: Map<string, NotKeptRecord>
  /** Successful runs so far. */
  runs: number
  /**
   * Made once when a session's namespace is first created and kept in its saved state: with
   * `runs`, it names the state a run started from (`stateVersionOf`).
   */
  lineage: string
  /**
   * The names whose binding a commit may have changed since the last delta or load: what
   * `DeltaBaseline.take` looks at (the commits add to it, taking a delta empties it).
   */
  readonly touched: Set<string>
}

export function emptyState(): SessionState {
  return {
    data: new Map(),
    definitions: new Map(),
    nextSeq: 0,
    special: new Map(),
    notKept: new Map(),
    runs: 0,
    lineage: randomUUID(),
    touched: new Set(),
  }
}

/**
 * Names the namespace as it is now, the same in every process that loaded it: every successful
 * run counts in `runs`, so a run that finishes after this moves it on.
 */
export function stateVersionOf(state: SessionState): string {
  return `${state.lineage}:${state.runs}`
}

/**
 * The session names a run must be handed together with `names`: every name sharing an object
 * with one of them, transitively (changing it through one name must show through the others).
 */
export function travellingWith(state: SessionState, names: Iterable<string>): Set<string> {
  const out = new Set<string>()
  const pending = [...names]
  while (pending.length > 0) {
    const name = pending.pop()!
    for (const other of state.special.get(name) ?? []) {
      if (other === name || out.has(other) || !state.data.has(other)) continue
      out.add(other)
      pending.push(other)
    }
  }
  return out
}

/** What one run's values did to the namespace, as the run's result reports it. */
export interface NotKeptEntry {
  readonly name: string
  readonly type: string
  readonly reason: string
}

/**
 * Commits the collected names of a successful run: a kept value replaces the name's binding, a
 * module becomes an import definition, an alias an alias definition (a builtin under its own
 * name, nothing), and a value that cannot be kept unbinds the name and is
 * remembered (`notKept`) so a later `NameError` can say why. Counts the run.
 */
export function commitCollected(
  state: SessionState,
  names: readonly string[],
  outcomes: readonly (CollectedOutcome | undefined)[],
  scriptName: string,
): NotKeptEntry[] {
  const run = ++state.runs
  const notKept: NotKeptEntry[] = []
  const kept: [string, unknown][] = []
  names.forEach((name, index) => {
    const outcome = outcomes[index]
    if (!outcome) return
    state.touched.add(name)
    state.special.delete(name)
    state.notKept.delete(name)
    if (outcome.kind === 'value') {
      state.data.set(name, outcome.value)
      state.definitions.delete(name)
      kept.push([name, outcome.value])
    } else if (outcome.kind === 'module') {
      state.data.delete(name)
      const bare = outcome.module === name && !name.includes('.')
      state.definitions.set(name, {
        name,
        kind: 'import',
        source: bare ? `import ${name}` : `import ${outcome.module} as ${name}`,
        line: 1,
        reads: [],
        globals: [],
        scriptName,
        seq: state.nextSeq++,
      })
    } else if (outcome.kind === 'alias' && outcome.imports.length === 0 && outcome.expression === name) {
      // The builtin under its own name (`len` left as it was): nothing of the session's.
      state.data.delete(name)
      state.definitions.delete(name)
    } else if (outcome.kind === 'alias') {
      state.data.delete(name)
      state.definitions.set(name, {
        name,
        kind: 'alias',
        source: [
          ...outcome.imports.map((module) => `import ${module} as ${moduleBinding(module)}`),
          `${name} = ${outcome.expression}`,
        ].join('\n'),
        line: 1,
        reads: [],
        globals: [],
        scriptName,
        seq: state.nextSeq++,
        valueType: outcome.type,
      })
    } else {
      state.data.delete(name)
      state.definitions.delete(name)
      state.notKept.set(name, { run, scriptName, type: outcome.type, reason: outcome.reason })
      notKept.push({ name, type: outcome.type, reason: outcome.reason })
    }
  })
  for (const [name, group] of specialNames(kept)) state.special.set(name, group)
  return notKept
}

const STATE_KIND = 'pyflue-monty-session'
/** The lineage of a state saved before states had one. */
export const LEGACY_LINEAGE = 'unnamed'

/**
 * Serialises a session namespace (see `state-format.ts` for the bytes), in slices that leave the
 * event loop free (`state-encode.ts`). `state` must not change until the promise settles.
 */
export function dumpSessionState(state: SessionState): Promise<Uint8Array> {
  return encodeStateInSlices({
    kind: STATE_KIND,
    data: new Map(state.data),
    definitions: [...state.definitions.values()].map(plainDefinition),
    nextSeq: state.nextSeq,
    notKept: [...state.notKept].map(([name, record]) => ({ name, ...record })),
    runs: state.runs,
    lineage: state.lineage,
  })
}

/**
 * Reads bytes from `dumpSessionState`, in slices that leave the event loop free
 * (`state-decode.ts`); throws `StateFormatError` without side effects.
 */
export async function loadSessionState(bytes: Uint8Array): Promise<SessionState> {
  const decoded = (await decodeStateInSlices(bytes)) as Record<string, unknown> | null
  const corrupt = (what: string) => new StateFormatError('corrupt', `The session state is corrupt: ${what}.`)
  if (typeof decoded !== 'object' || decoded === null || decoded.kind !== STATE_KIND) {
    throw new StateFormatError('backend', 'These bytes hold no Monty session state.')
  }
  if (!(decoded.data instanceof Map)) throw corrupt('no variables')
  const data = new Map<string, unknown>()
  for (const [name, value] of decoded.data) {
    if (typeof name !== 'string') throw corrupt('a variable name is not a string')
    data.set(name, value)
  }
  if (!Array.isArray(decoded.definitions) || typeof decoded.nextSeq !== 'number')
    throw corrupt('no definitions')
  const definitions = new Map<string, StoredDefinition>()
  for (const item of decoded.definitions as unknown[]) {
    const definition = readDefinition(item)
    if (!definition) throw corrupt('a definition is malformed')
    definitions.set(definition.name, definition)
  }
  // Version 1 states have neither.
  const notKept = new Map<string, NotKeptRecord>()
  if (decoded.notKept !== undefined) {
    if (!Array.isArray(decoded.notKept)) throw corrupt('the names not kept are malformed')
    for (const item of decoded.notKept as Record<string, unknown>[]) {
      if (
        typeof item?.name !== 'string' ||
        typeof item.run !== 'number' ||
        typeof item.scriptName !== 'string' ||
        typeof item.type !== 'string' ||
        typeof item.reason !== 'string'
      ) {
        throw corrupt('a name not kept is malformed')
      }
      notKept.set(item.name, {
        run: item.run,
        scriptName: item.scriptName,
        type: item.type,
        reason: item.reason,
      })
    }
  }
  const runs = decoded.runs ?? 0
  if (typeof runs !== 'number') throw corrupt('the run count is malformed')
  // States saved before lineages share one; their run count still tells them apart in time.
  const lineage = decoded.lineage ?? LEGACY_LINEAGE
  if (typeof lineage !== 'string') throw corrupt('the lineage is malformed')
  return {
    data,
    definitions,
    nextSeq: decoded.nextSeq,
    special: await specialNamesInSlices(data),
    lineage,
    touched: new Set(),
    notKept,
    runs,
  }
}

/** A definition as plain data, for the state bytes. */
export function plainDefinition(d: StoredDefinition): Record<string, unknown> {
  return {
    name: d.name,
    kind: d.kind,
    source: d.source,
    line: d.line,
    reads: [...d.reads],
    globals: [...d.globals],
    scriptName: d.scriptName,
    seq: d.seq,
    ...(d.valueType === undefined ? {} : { valueType: d.valueType }),
  }
}

/** The definition `plainDefinition` made `item` of, or undefined when `item` is not one. */
export function readDefinition(item: unknown): StoredDefinition | undefined {
  const candidate = item as Record<string, unknown> | null | undefined
  const strings = (value: unknown) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined
  const reads = strings(candidate?.reads)
  const globals = strings(candidate?.globals)
  if (
    typeof candidate?.name !== 'string' ||
    (candidate.kind !== 'def' &&
      candidate.kind !== 'lambda' &&
      candidate.kind !== 'import' &&
      candidate.kind !== 'alias') ||
    (candidate.valueType !== undefined && typeof candidate.valueType !== 'string') ||
    typeof candidate.source !== 'string' ||
    typeof candidate.line !== 'number' ||
    typeof candidate.scriptName !== 'string' ||
    typeof candidate.seq !== 'number' ||
    !reads ||
    !globals
  ) {
    return undefined
  }
  return {
    name: candidate.name,
    kind: candidate.kind,
    source: candidate.source,
    line: candidate.line,
    reads,
    globals,
    scriptName: candidate.scriptName,
    seq: candidate.seq,
    ...(typeof candidate.valueType === 'string' ? { valueType: candidate.valueType } : {}),
  }
}
