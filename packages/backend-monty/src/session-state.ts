import { StateFormatError } from '@pyflue/core'
import type { CodeDefinition } from './snippet-analysis.js'
import { decodeState, encodeState } from './state-format.js'

/** A definition kept in the session: its source and where it came from. */
export interface StoredDefinition extends CodeDefinition {
  /** The script name of the run that defined it (for tracebacks). */
  readonly scriptName: string
  /** Definition order; re-emitted definitions keep it. */
  readonly seq: number
}

/**
 * The session namespace: data values in Monty form, and definitions (def, lambda, import) as
 * source. A name is in at most one of the two.
 */
export interface SessionState {
  readonly data: Map<string, unknown>
  readonly definitions: Map<string, StoredDefinition>
  nextSeq: number
}

export function emptyState(): SessionState {
  return { data: new Map(), definitions: new Map(), nextSeq: 0 }
}

const STATE_KIND = 'pyflue-monty-session'

/** Serialises a session namespace (see `state-format.ts` for the bytes). */
export function dumpSessionState(state: SessionState): Uint8Array {
  return encodeState({
    kind: STATE_KIND,
    data: new Map(state.data),
    definitions: [...state.definitions.values()].map(plainDefinition),
    nextSeq: state.nextSeq,
  })
}

/** Reads bytes from `dumpSessionState`; throws `StateFormatError` without side effects. */
export function loadSessionState(bytes: Uint8Array): SessionState {
  const decoded = decodeState(bytes) as Record<string, unknown> | null
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
  return { data, definitions, nextSeq: decoded.nextSeq }
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
    (candidate.kind !== 'def' && candidate.kind !== 'lambda' && candidate.kind !== 'import') ||
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
  }
}
