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
    definitions: [...state.definitions.values()].map((d) => ({
      name: d.name,
      kind: d.kind,
      source: d.source,
      line: d.line,
      reads: [...d.reads],
      globals: [...d.globals],
      scriptName: d.scriptName,
      seq: d.seq,
    })),
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
  for (const item of decoded.definitions as Record<string, unknown>[]) {
    const strings = (value: unknown) =>
      Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined
    const reads = strings(item?.reads)
    const globals = strings(item?.globals)
    if (
      typeof item?.name !== 'string' ||
      (item.kind !== 'def' && item.kind !== 'lambda' && item.kind !== 'import') ||
      typeof item.source !== 'string' ||
      typeof item.line !== 'number' ||
      typeof item.scriptName !== 'string' ||
      typeof item.seq !== 'number' ||
      !reads ||
      !globals
    ) {
      throw corrupt('a definition is malformed')
    }
    definitions.set(item.name, {
      name: item.name,
      kind: item.kind,
      source: item.source,
      line: item.line,
      reads,
      globals,
      scriptName: item.scriptName,
      seq: item.seq,
    })
  }
  return { data, definitions, nextSeq: decoded.nextSeq }
}
