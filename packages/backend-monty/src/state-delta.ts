/**
 * Incremental persistence of a session namespace: `dumpStateDelta()` and
 * `loadState(snapshot, deltas)` of the `PythonBackend` contract.
 *
 * - A `DeltaBaseline` remembers which object each name held at the baseline. The commit of a
 *   run replaces the object of every name the run bound or may have changed (a mutated list is
 *   collected back as a new object) and leaves every other name's object alone, so a name whose
 *   object is not the baseline's changed, and one whose object is the same did not. Taking a
 *   delta costs one look per name and an encoding per changed name, never the size of the values
 *   left alone.
 * - Each changed name's bytes are one value of `state-format.ts` (magic, version, CRC): either
 *   its data value or its definition, with the namespace's definition counter.
 * - Applying deltas is all or nothing: every entry is decoded and checked before the state
 *   changes.
 */
import type { PythonStateDelta } from '@pyflue/core'
import { StateFormatError } from '@pyflue/core'
import { plainDefinition, readDefinition, type SessionState, type StoredDefinition } from './session-state.js'
import { decodeState, encodeState } from './state-format.js'

const ENTRY_KIND = 'pyflue-monty-name'

/** Which object each name held at the baseline. */
export class DeltaBaseline {
  #data = new Map<string, unknown>()
  #definitions = new Map<string, StoredDefinition>()

  /** Makes `state` as it is now the baseline. */
  reset(state: SessionState): void {
    this.#data = new Map(state.data)
    this.#definitions = new Map(state.definitions)
  }

  /** What changed from the baseline to `state`, which then becomes the baseline. */
  take(state: SessionState): PythonStateDelta {
    const changed: Record<string, Uint8Array> = {}
    const removed: string[] = []
    for (const [name, value] of state.data) {
      if (!this.#data.has(name) || this.#data.get(name) !== value) {
        changed[name] = encodeState({
          kind: ENTRY_KIND,
          data: new Map([['value', value]]),
          nextSeq: state.nextSeq,
        })
      }
    }
    for (const [name, definition] of state.definitions) {
      if (this.#definitions.get(name) !== definition) {
        changed[name] = encodeState({
          kind: ENTRY_KIND,
          definition: plainDefinition(definition),
          nextSeq: state.nextSeq,
        })
      }
    }
    for (const name of this.#data.keys()) {
      if (!state.data.has(name) && !state.definitions.has(name)) removed.push(name)
    }
    for (const name of this.#definitions.keys()) {
      if (!state.definitions.has(name) && !state.data.has(name)) removed.push(name)
    }
    this.reset(state)
    return { changed, removed }
  }
}

/**
 * `state` with `deltas` applied in order, as a new state (`state` is not changed). Throws
 * `StateFormatError` for a delta that is not of this backend or is corrupt.
 */
export function applyDeltas(state: SessionState, deltas: readonly PythonStateDelta[]): SessionState {
  const data = new Map(state.data)
  const definitions = new Map(state.definitions)
  let nextSeq = state.nextSeq
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
    }
    for (const [name, bytes] of Object.entries(delta.changed)) {
      const entry = decodeEntry(name, bytes)
      nextSeq = Math.max(nextSeq, entry.nextSeq)
      if (entry.definition) {
        data.delete(name)
        definitions.set(name, entry.definition)
      } else {
        definitions.delete(name)
        data.set(name, entry.value)
      }
    }
  }
  return { data, definitions, nextSeq }
}

function decodeEntry(
  name: string,
  bytes: Uint8Array,
): { value?: unknown; definition?: StoredDefinition; nextSeq: number } {
  if (!(bytes instanceof Uint8Array)) {
    throw new StateFormatError('corrupt', `The delta entry of '${name}' is not bytes.`)
  }
  const decoded = decodeState(bytes) as Record<string, unknown> | null
  if (typeof decoded !== 'object' || decoded === null || decoded.kind !== ENTRY_KIND) {
    throw new StateFormatError('backend', `The delta entry of '${name}' holds no Monty session name.`)
  }
  const corrupt = (what: string) =>
    new StateFormatError('corrupt', `The delta entry of '${name}' is corrupt: ${what}.`)
  if (typeof decoded.nextSeq !== 'number') throw corrupt('no definition counter')
  if (decoded.data instanceof Map && decoded.data.has('value')) {
    return { value: decoded.data.get('value'), nextSeq: decoded.nextSeq }
  }
  const definition = readDefinition(decoded.definition)
  if (!definition || definition.name !== name) throw corrupt('neither a value nor a definition')
  return { definition, nextSeq: decoded.nextSeq }
}
