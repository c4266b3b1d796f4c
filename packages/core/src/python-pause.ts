/**
 * Pausing a Python run at a host call and resuming it later, in this process or another one:
 * the types of `PythonBackend.start` / `resume` and the envelope every backend's pause bytes use.
 *
 * - `start(code, options)` runs like `run` until Python calls an external function that
 *   `options.pauseOn` selects (by default every external function). It resolves either the
 *   finished run (`status: 'complete'`, as `run` resolves) or a `PythonPause` describing the call.
 * - A paused run has not changed the session: the namespace commits only when a resumed run
 *   finishes. A pause that is abandoned, denied (resumed with an exception the snippet does not
 *   catch) or fails leaves the namespace exactly as it was before `start`.
 * - `resume(pauseOrBytes, answer, options)` continues the run where it stopped: the paused call
 *   returns `answer.returnValue`, or raises `answer.exception` in Python (the snippet may catch
 *   it). It resolves like `start`: finished, or paused at the next selected call.
 * - A pause records the session state it started from (`stateVersion`); resuming it after the
 *   namespace moved on (another run committed, or this pause was already resumed to the end)
 *   rejects with `PauseStaleError` ('state-moved'), as does a pause past its `expiresAt`
 *   ('expired'). A pause is resumed at most once to its end.
 * - `pause.dump()` gives bytes in the envelope below; `resume` takes them in any process whose
 *   backend holds the same session state. Bytes that are not a pause, of a format version this
 *   release does not read, corrupt, cut short, or of another backend or engine version reject
 *   with `PauseFormatError`, and nothing changes.
 * - The run's deadline covers running time, not the time spent paused.
 *
 * Envelope (`encodePauseEnvelope` / `decodePauseEnvelope`), big-endian:
 *
 *   offset 0   8 bytes  magic "PYFLPAUS"
 *   offset 8   u16      envelope version (1)
 *   offset 10  u32      header length H
 *   offset 14  H bytes  header: UTF-8 JSON of `PauseHeader`
 *   then       u32      payload length P, then P bytes of the backend's own payload
 *   then       u32      CRC-32 of every byte before it
 */
import { crc32 } from 'node:zlib'
import { PauseFormatError } from './errors/pause-errors.js'
import type { PythonRunOptions, PythonRunResult } from './python-backend.js'
import type { StandardSchemaV1 } from './standard-schema.js'

/** A call Python made to the host, as data (values converted by the backend's value table). */
export interface PythonHostCall {
  /** The Python name of the function called. */
  readonly name: string
  readonly args: readonly unknown[]
  readonly kwargs: Readonly<Record<string, unknown>>
}

/** What a pause says about itself: the envelope's header. Plain JSON data. */
export interface PauseHeader {
  /** Unique per pause. */
  readonly id: string
  /** The backend's name (`PythonBackend.name`) and engine version that made the pause. */
  readonly backend: string
  readonly engineVersion?: string
  /** The session state the run started from (opaque to everyone but the backend). */
  readonly stateVersion: string
  /** When the pause was made and when it stops being resumable (ms since the epoch). */
  readonly createdAt: number
  readonly expiresAt?: number
  /** The paused call's function name. */
  readonly functionName: string
  /** The 1-based line of the snippet that makes the call, and the lines around it, when known. */
  readonly line?: number
  readonly codeAround?: string
  /** What the run printed before it paused. */
  readonly stdout: string
  /** Running time the run has used (its deadline covers running time only). */
  readonly runningMs: number
}

/** A run paused at a host call (see the file header). */
export interface PythonPause extends PauseHeader {
  readonly status: 'paused'
  /** The call the run is paused at, arguments included. */
  readonly call: PythonHostCall
  /** The pause as bytes (the envelope above), for keeping it until it is resumed. */
  dump(): Uint8Array
}

/** A run that finished (`start` or `resume`): what `run` resolves with, marked complete. */
export interface PythonFinishedRun<T = unknown> extends PythonRunResult<T> {
  readonly status: 'complete'
}

/** What `start` and `resume` resolve with. */
export type PythonStartResult<T = unknown> = PythonFinishedRun<T> | PythonPause

/** Options of `start`: those of `run`, and which calls pause. */
export interface PythonStartOptions<S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined>
  extends PythonRunOptions<S> {
  /**
   * Which calls of external functions pause the run: their names, or a predicate over the call.
   * Defaults to every external function. A call not selected is answered as in `run`.
   */
  pauseOn?: readonly string[] | ((call: PythonHostCall) => boolean)
  /** How long a pause stays resumable, in milliseconds. Defaults to no expiry. */
  pauseExpiresInMs?: number
}

/** The keys `start` accepts besides those of `run`. */
export const PYTHON_START_OPTION_KEYS = ['pauseOn', 'pauseExpiresInMs'] as const

/**
 * Options of `resume`: the external functions again (functions do not travel in bytes; give the
 * same ones as `start`), which calls pause next, and the run's output hooks. The inputs, script
 * name and limits are those of `start`.
 */
export type PythonResumeOptions<S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> = Pick<
  PythonStartOptions<S>,
  'externalFunctions' | 'result' | 'signal' | 'onStdout' | 'pauseOn' | 'pauseExpiresInMs'
>

/** The keys `resume` accepts. */
export const PYTHON_RESUME_OPTION_KEYS = [
  'externalFunctions',
  'result',
  'signal',
  'onStdout',
  'pauseOn',
  'pauseExpiresInMs',
] as const

/** How the paused call ends: it returns a value, or raises an exception in Python. */
export type PythonResumeAnswer =
  | { readonly returnValue: unknown }
  | { readonly exception: { readonly type: string; readonly message: string } }

/** The first bytes of every pause: "PYFLPAUS". */
export const PAUSE_MAGIC = new Uint8Array([0x50, 0x59, 0x46, 0x4c, 0x50, 0x41, 0x55, 0x53])
/** The envelope version this release writes and reads. */
export const PAUSE_ENVELOPE_VERSION = 1

/** Wraps a backend's payload and the pause's header in the envelope. */
export function encodePauseEnvelope(header: PauseHeader, payload: Uint8Array): Uint8Array {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header))
  const length = 14 + headerBytes.length + 4 + payload.length + 4
  const out = new Uint8Array(length)
  const view = new DataView(out.buffer)
  out.set(PAUSE_MAGIC, 0)
  view.setUint16(8, PAUSE_ENVELOPE_VERSION)
  view.setUint32(10, headerBytes.length)
  out.set(headerBytes, 14)
  view.setUint32(14 + headerBytes.length, payload.length)
  out.set(payload, 18 + headerBytes.length)
  view.setUint32(length - 4, crc32(out.subarray(0, length - 4)))
  return out
}

/**
 * Reads an envelope: its header and the backend's payload. Throws `PauseFormatError` for bytes
 * that are not a pause ('magic'), of another envelope version ('version'), cut short
 * ('truncated') or damaged ('corrupt'). Whose pause it is, the backend checks.
 */
export function decodePauseEnvelope(bytes: Uint8Array): { header: PauseHeader; payload: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) {
    throw new PauseFormatError('magic', 'A pause must be a PythonPause or the Uint8Array of its dump().')
  }
  if (bytes.length < PAUSE_MAGIC.length || PAUSE_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new PauseFormatError('magic', 'These bytes are not a PyFlue pause (wrong magic header).')
  }
  if (bytes.length < 14) throw new PauseFormatError('truncated', 'The pause is truncated.')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint16(8)
  if (version !== PAUSE_ENVELOPE_VERSION) {
    throw new PauseFormatError(
      'version',
      `The pause has envelope version ${version}; this release reads version ${PAUSE_ENVELOPE_VERSION}.`,
    )
  }
  const headerLength = view.getUint32(10)
  if (bytes.length < 18 + headerLength) throw new PauseFormatError('truncated', 'The pause is truncated.')
  const payloadLength = view.getUint32(14 + headerLength)
  const total = 18 + headerLength + payloadLength + 4
  if (bytes.length < total) throw new PauseFormatError('truncated', 'The pause is truncated.')
  if (bytes.length > total) throw new PauseFormatError('corrupt', 'The pause is corrupt: bytes follow it.')
  if (crc32(bytes.subarray(0, total - 4)) !== view.getUint32(total - 4)) {
    throw new PauseFormatError('corrupt', 'The pause is corrupt: its checksum does not match.')
  }
  let header: PauseHeader
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(14, 14 + headerLength)),
    )
  } catch (error) {
    throw new PauseFormatError('corrupt', 'The pause is corrupt: its header is not JSON.', { cause: error })
  }
  if (
    typeof header !== 'object' ||
    header === null ||
    typeof header.id !== 'string' ||
    typeof header.backend !== 'string' ||
    typeof header.stateVersion !== 'string' ||
    typeof header.createdAt !== 'number' ||
    typeof header.functionName !== 'string' ||
    typeof header.stdout !== 'string' ||
    typeof header.runningMs !== 'number'
  ) {
    throw new PauseFormatError('corrupt', 'The pause is corrupt: its header is incomplete.')
  }
  return { header, payload: bytes.slice(18 + headerLength, 18 + headerLength + payloadLength) }
}
