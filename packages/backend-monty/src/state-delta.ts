/**
 * Incremental persistence of a session namespace: `dumpStateDelta()` and
 * `loadState(snapshot, deltas)` of the `PythonBackend` contract.
 *
 * - A `DeltaBaseline` remembers which object each name held at the baseline. The commit of a
 *   run replaces the object of every name the run bound or may have changed (a mutated list is
 *   collected back as a new object), records those names in `SessionState.touched`, and leaves
 *   every other name's object alone, so a touched name whose object is not the baseline's
 *   changed, and every other name did not. Taking a delta costs one look per touched name and an
 *   encoding per changed name, never the size of the namespace.
 * - Each changed name's bytes are one value of `state-format.ts` (magic, version, CRC): either
 *   its data value or its definition, with the namespace's definition counter.
 * - Applying deltas is all or nothing: every entry is decoded and checked before the state
 *   changes.
 */
import type { PythonStateDelta } from '@pyflue/core'
import { StateFormatError } from '@pyflue/core'
import {
  type NotKeptRecord,
  plainDefinition,
  readDefinition,
  type SessionState,
  type StoredDefinition,
} from './session-state.js'
import { specialNamesInSlices } from './session-values.js'
import { decodeStateInSlices } from './state-decode.js'
import { encodeStateInSlices } from './state-encode.js'

const ENTRY_KIND = 'pyflue-monty-name'
/**
 * The key of the entry that carries only the counters, written when runs finished without
 * changing a name (not a Python name, so it cannot collide with one).
 */
export const COUNTERS_KEY = '#session'

/** Which object each name held at the baseline. */
export class DeltaBaseline {
  #data = new Map<string, unknown>()
  #definitions = new Map<string, StoredDefinition>()
  #notKept = new Map<string, NotKeptRecord>()
  /** The run count at the baseline. */
  #runs = 0

  /** Makes `state` as it is now the baseline. */
  reset(state: SessionState): void {
    this.#data = new Map(state.data)
    this.#definitions = new Map(state.definitions)
    this.#notKept = new Map(state.notKept)
    this.#runs = state.runs
    state.touched.clear()
  }

  /**
   * What changed from the baseline to `state`, which then becomes the baseline. Only the names a
   * commit touched since (`SessionState.touched`) are looked at; one of them changed when its
   * value, definition or not-kept record is not the baseline's object. A changed name that
   * shares objects with other names carries the values of its whole group in one encoding, so
   * the sharing survives the load. Costs a lookup per touched name and an encoding per changed
   * name (in slices that leave the event loop free), never the size of the namespace. `state`
   * must not change until the promise settles.
   */
  async take(state: SessionState): Promise<PythonStateDelta> {
    const changed: Record<string, Uint8Array> = {}
    const removed: string[] = []
    const counters = { nextSeq: state.nextSeq, runs: state.runs, lineage: state.lineage }
    for (const name of state.touched) {
      const definition = state.definitions.get(name)
      const record = state.notKept.get(name)
      if (state.data.has(name)) {
        const value = state.data.get(name)
        if (this.#data.has(name) && this.#data.get(name) === value) continue
        const group = state.special.get(name)
        const values =
          group && group.length > 1
            ? new Map(
                [...new Set([name, ...group])]
                  .filter((n) => state.data.has(n))
                  .map((n) => [n, state.data.get(n)]),
              )
            : new Map([[name, value]])
        changed[name] = await encodeStateInSlices({ kind: ENTRY_KIND, data: values, ...counters })
      } else if (definition !== undefined) {
        if (this.#definitions.get(name) === definition) continue
        changed[name] = await encodeStateInSlices({
          kind: ENTRY_KIND,
          definition: plainDefinition(definition),
          ...counters,
        })
      } else if (record !== undefined) {
        if (this.#notKept.get(name) === record) continue
        changed[name] = await encodeStateInSlices({ kind: ENTRY_KIND, notKept: { ...record }, ...counters })
      } else if (this.#data.has(name) || this.#definitions.has(name) || this.#notKept.has(name)) {
        removed.push(name)
      }
    }
    // Runs that changed no name still move the state on (`stateVersionOf`).
    if (state.runs !== this.#runs && Object.keys(changed).length === 0 && removed.length === 0) {
      changed[COUNTERS_KEY] = await encodeStateInSlices({ kind: ENTRY_KIND, ...counters })
    }
    // The baseline follows the names that changed; the others hold the same objects already.
    for (const name of [...Object.keys(changed), ...removed]) this.#follow(state, name)
    this.#runs = state.runs
    state.touched.clear()
    return { changed, removed }
  }

  /** Makes the baseline of `name` what `state` holds for it. */
  #follow(state: SessionState, name: string): void {
    follow(this.#data, state.data, name)
    follow(this.#definitions, state.definitions, name)
    follow(this.#notKept, state.notKept, name)
  }
}

function follow<V>(baseline: Map<string, V>, current: ReadonlyMap<string, V>, name: string): void {
  if (current.has(name)) baseline.set(name, current.get(name)!)
  else baseline.delete(name)
}

/**
 * `state` with `deltas` applied in order, as a new state (`state` is not changed). Throws
 * `StateFormatError` for a delta that is not of this backend or is corrupt. Decodes in slices
 * that leave the event loop free (`state-decode.ts`).
 */
export async function applyDeltas(
  state: SessionState,
  deltas: readonly PythonStateDelta[],
): Promise<SessionState> {
  const data = new Map(state.data)
  const definitions = new Map(state.definitions)
  const notKept = new Map(state.notKept)
  let nextSeq = state.nextSeq
  let runs = state.runs
  let lineage = state.lineage
  for (const delta of deltas) {
    if (
      typeof delta !== 'object' ||
      delta === null ||
      typeof delta.changed !== 'object' ||
      delta.changed === null ||
      !Array.isArray(delta.removed)
    ) {
      throw new StateFormatError('corrupt', 'A Python state delta is not { changed, removed }.')
    }
    for (const name of delta.removed) {
      data.delete(name)
      definitions.delete(name)
      notKept.delete(name)
    }
    for (const [name, bytes] of Object.entries(delta.changed)) {
      const entry = await decodeEntry(name, bytes)
      nextSeq = Math.max(nextSeq, entry.nextSeq)
      runs = Math.max(runs, entry.runs)
      if (entry.lineage !== undefined) lineage = entry.lineage
      if (name === COUNTERS_KEY) continue
      const forget = (n: string) => {
        data.delete(n)
        definitions.delete(n)
        notKept.delete(n)
      }
      if (entry.definition) {
        forget(name)
        definitions.set(name, entry.definition)
      } else if (entry.notKept) {
        forget(name)
        notKept.set(name, entry.notKept)
      } else {
        for (const [n, value] of entry.values!) {
          forget(n)
          data.set(n, value)
        }
      }
    }
  }
  return {
    data,
    definitions,
    nextSeq,
    special: await specialNamesInSlices(data),
    notKept,
    runs,
    lineage,
    touched: new Set(),
  }
}

async function decodeEntry(
  name: string,
  bytes: Uint8Array,
): Promise<{
  values?: Map<string, unknown>
  definition?: StoredDefinition
  notKept?: NotKeptRecord
  nextSeq: number
  runs: number
  lineage?: string
}> {
  if (!(bytes instanceof Uint8Array)) {
    throw new StateFormatError('corrupt', `The delta entry of '${name}' is not bytes.`)
  }
  const decoded = (await decodeStateInSlices(bytes)) as Record<string, unknown> | null
  if (typeof decoded !== 'object' || decoded === null || decoded.kind !== ENTRY_KIND) {
    throw new StateFormatError('backend', `The delta entry of '${name}' holds no Monty session name.`)
  }
  const corrupt = (what: string) =>
    new StateFormatError('corrupt', `The delta entry of '${name}' is corrupt: ${what}.`)
  const { nextSeq, runs } = decoded
  if (typeof nextSeq !== 'number' || typeof runs !== 'number') throw corrupt('no counters')
  if (decoded.lineage !== undefined && typeof decoded.lineage !== 'string') throw corrupt('a bad lineage')
  const lineage = decoded.lineage as string | undefined
  if (name === COUNTERS_KEY) return { nextSeq, runs, ...(lineage === undefined ? {} : { lineage }) }
  if (decoded.data instanceof Map) {
    if (!decoded.data.has(name) || [...decoded.data.keys()].some((k) => typeof k !== 'string')) {
      throw corrupt('its values do not name it')
    }
    return {
      values: decoded.data as Map<string, unknown>,
      nextSeq,
      runs,
      ...(lineage === undefined ? {} : { lineage }),
    }
  }
  const record = decoded.notKept as Record<string, unknown> | undefined
  if (record !== undefined) {
    if (
      typeof record?.run !== 'number' ||
      typeof record.scriptName !== 'string' ||
      typeof record.type !== 'string' ||
      typeof record.reason !== 'string'
    ) {
      throw corrupt('a name not kept is malformed')
    }
    const notKept = {
      run: record.run,
      scriptName: record.scriptName,
      type: record.type,
      reason: record.reason,
    }
    return { notKept, nextSeq, runs, ...(lineage === undefined ? {} : { lineage }) }
  }
  const definition = readDefinition(decoded.definition)
  if (!definition || definition.name !== name) throw corrupt('neither a value nor a definition')
  return { definition, nextSeq, runs, ...(lineage === undefined ? {} : { lineage }) }
}
