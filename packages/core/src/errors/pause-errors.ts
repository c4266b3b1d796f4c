/**
 * The errors of paused Python runs (`PythonBackend.start` / `resume`, see `python-pause.ts`):
 * pause bytes that cannot be read, and a pause that can no longer be resumed.
 */
import { ErrorCodes, PyFlueError } from './pyflue-error.js'

/**
 * Pause bytes were refused: not pause bytes at all (`'magic'`), a format version this release
 * does not read (`'version'`), bytes whose checksum does not match (`'corrupt'`), cut short
 * (`'truncated'`), or made by another backend (`'backend'`) or another engine version
 * (`'engine'`). Nothing was resumed and the session is unchanged.
 */
export class PauseFormatError extends PyFlueError {
  readonly reason: 'magic' | 'version' | 'corrupt' | 'truncated' | 'backend' | 'engine'

  constructor(reason: PauseFormatError['reason'], message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.PAUSE_FORMAT, message, options)
    this.reason = reason
  }
}

/**
 * A well-formed pause can no longer be resumed: the session's namespace moved on since the run
 * started (`'state-moved'`: another run committed, or this pause was already resumed to the
 * end), its expiry passed (`'expired'`), or it belongs to another session (`'session'`).
 * Nothing was resumed and the session is unchanged.
 */
export class PauseStaleError extends PyFlueError {
  readonly reason: 'state-moved' | 'expired' | 'session'

  constructor(reason: PauseStaleError['reason'], message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.PAUSE_STALE, message, options)
    this.reason = reason
  }
}
