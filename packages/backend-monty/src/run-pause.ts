/**
 * The Monty backend's pauses (`PythonBackend.start` / `resume`, contract in core's
 * `python-pause.ts`): what a pause carries, its bytes, and the checks before a resume.
 *
 * - A pause's bytes are core's envelope around this backend's payload: the Monty snapshot of
 *   the paused program, the snippet and everything needed to plan it again (script name, input
 *   names, the plan's key), the run's limits and running time so far, whether the program had
 *   passed its end marker, the paused call in Monty form and the captured output. The payload is
 *   one value of `state-format.ts` (versioned, checksummed again inside the envelope).
 * - A resume is refused, before anything runs, for bytes of another backend or engine version
 *   (`PauseFormatError`), a pause past its expiry or made from another state of the namespace
 *   (`PauseStaleError`), and an answer that is neither `{ returnValue }` nor a well-formed
 *   `{ exception }` (`InvalidArgumentError`).
 */
import { randomUUID } from 'node:crypto'
import {
  decodePauseEnvelope,
  encodePauseEnvelope,
  InvalidArgumentError,
  PauseFormatError,
  type PauseHeader,
  PauseStaleError,
  type PythonHostCall,
  type PythonPause,
  type PythonResumeAnswer,
  type PythonStartOptions,
  type ResourceLimits,
  StateFormatError,
} from '@pyflue/core'
import type { CallAnswer } from './execution.js'
import { decodeState } from './state-decode.js'
import { encodeState } from './state-encode.js'

const PAYLOAD_KIND = 'pyflue-monty-pause'

/**
 * The layout of the programs the engine builds (bindings, walker, epilogue). A pause holds a
 * compiled program, and a resume builds the same program again to map its lines and read its
 * output: a pause from an engine that laid programs out otherwise (one without this field among
 * them) is refused. Raise it with any change to what `buildProgram` emits.
 */
export const PROGRAM_LAYOUT = 2

/** What this backend keeps in a pause besides the header. */
export interface PausePayload {
  readonly code: string
  readonly scriptName: string
  readonly inputNames: readonly string[]
  /** The plan's key at the pause: a resume must plan the same program. */
  readonly planKey: string
  /** Whether the program was built scalar-only (`RunPlan.scalarOnly`). */
  readonly scalarOnly: boolean
  /** The run's limits, resolved (the deadline of the whole run among them). */
  readonly limits: ResourceLimits
  /** The Monty snapshot of the program paused at the call. */
  readonly snapshot: Uint8Array
  readonly afterMarker: boolean
  /** The paused call as Monty handed it over (the wrapper's name, Monty-form arguments). */
  readonly rawCall: {
    readonly name: string
    readonly args: readonly unknown[]
    readonly kwargs: Record<string, unknown>
  }
  readonly stdoutTruncated: boolean
}

/** A pause read back: its header, its payload, and the bytes it came from. */
export interface ReadPause {
  readonly header: PauseHeader
  readonly payload: PausePayload
}

/** Builds the `PythonPause` the caller gets; `dump()` gives the envelope (made once). */
export function makePause(header: PauseHeader, payload: PausePayload, call: PythonHostCall): PythonPause {
  let bytes: Uint8Array | undefined
  const dump = () => {
    const made = bytes ?? encodePauseEnvelope(header, encodePayload(payload))
    bytes = made
    return made.slice()
  }
  return Object.freeze({ ...header, status: 'paused' as const, call, dump })
}

/** A new pause's header. */
export function pauseHeader(fields: Omit<PauseHeader, 'id' | 'createdAt'>): PauseHeader {
  return { id: randomUUID(), createdAt: Date.now(), ...fields }
}

function encodePayload(payload: PausePayload): Uint8Array {
  return encodeState({
    kind: PAYLOAD_KIND,
    code: payload.code,
    scriptName: payload.scriptName,
    inputNames: [...payload.inputNames],
    layout: PROGRAM_LAYOUT,
    planKey: payload.planKey,
    scalarOnly: payload.scalarOnly,
    limits: { ...payload.limits },
    snapshot: payload.snapshot,
    afterMarker: payload.afterMarker,
    rawCall: { name: payload.rawCall.name, args: [...payload.rawCall.args], kwargs: payload.rawCall.kwargs },
    stdoutTruncated: payload.stdoutTruncated,
  })
}

function decodePayload(bytes: Uint8Array): PausePayload {
  let value: Record<string, unknown>
  try {
    value = decodeState(bytes) as Record<string, unknown>
  } catch (error) {
    if (!(error instanceof StateFormatError)) throw error
    throw new PauseFormatError('corrupt', `The pause's Monty payload is unreadable: ${error.message}`, {
      cause: error,
    })
  }
  if (
    typeof value === 'object' &&
    value !== null &&
    value.kind === PAYLOAD_KIND &&
    value.layout !== PROGRAM_LAYOUT
  ) {
    throw new PauseFormatError(
      'engine',
      'This pause was made by an earlier version of the engine, whose programs are laid out differently: start the run again.',
    )
  }
  const call = value?.rawCall as Record<string, unknown> | undefined
  const strings = (items: unknown) => Array.isArray(items) && items.every((item) => typeof item === 'string')
  if (
    typeof value !== 'object' ||
    value === null ||
    value.kind !== PAYLOAD_KIND ||
    typeof value.code !== 'string' ||
    typeof value.scriptName !== 'string' ||
    !strings(value.inputNames) ||
    typeof value.planKey !== 'string' ||
    typeof value.scalarOnly !== 'boolean' ||
    typeof value.limits !== 'object' ||
    !(value.snapshot instanceof Uint8Array) ||
    typeof value.afterMarker !== 'boolean' ||
    typeof call?.name !== 'string' ||
    !Array.isArray(call.args) ||
    typeof call.kwargs !== 'object' ||
    typeof value.stdoutTruncated !== 'boolean'
  ) {
    throw new PauseFormatError('corrupt', "The pause's Monty payload is malformed.")
  }
  return value as unknown as PausePayload
}

/**
 * Reads a pause (a `PythonPause` or its bytes) made by this backend: refuses bytes of another
 * backend or engine version, and a pause past its expiry or made from another namespace state.
 */
export function readPause(
  pause: PythonPause | Uint8Array,
  backend: { name: string; engineVersion: string },
  stateVersion: string,
): ReadPause {
  const bytes = pause instanceof Uint8Array ? pause : typeof pause?.dump === 'function' ? pause.dump() : pause
  const { header, payload } = decodePauseEnvelope(bytes as Uint8Array)
  if (header.backend !== backend.name) {
    throw new PauseFormatError(
      'backend',
      `This pause was made by the '${header.backend}' backend; this is the '${backend.name}' backend.`,
    )
  }
  if (header.engineVersion !== backend.engineVersion) {
    throw new PauseFormatError(
      'engine',
      `This pause was made by ${header.engineVersion ?? 'an unnamed engine'}; this backend runs ${backend.engineVersion}.`,
    )
  }
  const read = { header, payload: decodePayload(payload) }
  if (header.expiresAt !== undefined && Date.now() > header.expiresAt) {
    throw new PauseStaleError('expired', `This pause expired at ${new Date(header.expiresAt).toISOString()}.`)
  }
  if (header.stateVersion !== stateVersion) {
    throw new PauseStaleError(
      'state-moved',
      "The session's namespace moved on since this run started (another run finished, or this pause was already resumed to its end): the pause cannot be resumed.",
    )
  }
  return read
}

const PYTHON_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The paused call's answer in the execution's form, or `InvalidArgumentError`. */
export function answerOf(answer: PythonResumeAnswer, toMonty: (value: unknown) => unknown): CallAnswer {
  if (typeof answer === 'object' && answer !== null && 'exception' in answer) {
    const exception = answer.exception as { type?: unknown; message?: unknown } | undefined
    if (
      typeof exception?.type !== 'string' ||
      !PYTHON_NAME.test(exception.type) ||
      typeof exception.message !== 'string'
    ) {
      throw new InvalidArgumentError(
        'answer',
        "answer.exception must be { type, message } with a Python exception name as type, e.g. { type: 'PermissionError', message: 'denied' }.",
      )
    }
    return { exception: { type: exception.type, message: exception.message } }
  }
  if (typeof answer === 'object' && answer !== null && 'returnValue' in answer) {
    return { value: toMonty(answer.returnValue) }
  }
  throw new InvalidArgumentError(
    'answer',
    'The answer must be { returnValue } or { exception: { type, message } }.',
  )
}

/** Whether `pauseOn` selects the call (by default every external function's call does). */
export function selectsCall(pauseOn: PythonStartOptions['pauseOn'], call: PythonHostCall): boolean {
  if (pauseOn === undefined) return true
  if (typeof pauseOn === 'function') return pauseOn(call) === true
  return pauseOn.includes(call.name)
}

/** Checks `pauseOn` and `pauseExpiresInMs` as given to `start` or `resume`. */
export function checkPauseOptions(options: Pick<PythonStartOptions, 'pauseOn' | 'pauseExpiresInMs'>): void {
  const { pauseOn, pauseExpiresInMs } = options
  if (
    pauseOn !== undefined &&
    typeof pauseOn !== 'function' &&
    !(Array.isArray(pauseOn) && pauseOn.every((name) => typeof name === 'string'))
  ) {
    throw new InvalidArgumentError('pauseOn', 'pauseOn must be an array of function names or a predicate.')
  }
  if (pauseExpiresInMs !== undefined && !(Number.isFinite(pauseExpiresInMs) && pauseExpiresInMs > 0)) {
    throw new InvalidArgumentError('pauseExpiresInMs', 'pauseExpiresInMs must be a positive number.')
  }
}

/**
 * Where the snippet calls `functionName`: the first line that does (1-based), and the lines
 * around it, numbered, the call's line marked. Undefined when no line names it.
 */
export function callSite(
  code: string,
  functionName: string,
): { line: number; codeAround: string } | undefined {
  const lines = code.split('\n')
  const pattern = new RegExp(`(^|[^A-Za-z0-9_.])${functionName}\\s*\\(`)
  const index = lines.findIndex((text) => pattern.test(text))
  if (index < 0) return undefined
  const from = Math.max(0, index - 2)
  const to = Math.min(lines.length, index + 3)
  const width = String(to).length
  const codeAround = lines
    .slice(from, to)
    .map((text, i) => `${from + i === index ? '>' : ' '} ${String(from + i + 1).padStart(width)} | ${text}`)
    .join('\n')
  return { line: index + 1, codeAround }
}
