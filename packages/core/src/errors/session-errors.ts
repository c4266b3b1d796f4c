/**
 * Errors of the session store contract: a stale save, a session another owner holds, and a
 * record that does not fit the store.
 */
import { ErrorCodes, PyFlueError } from './pyflue-error.js'

/**
 * A commit was based on a version that is no longer the stored one. Nothing was changed;
 * the caller reloads and decides again.
 */
export class SessionConflictError extends PyFlueError {
  readonly sessionId: string
  /** The version the commit was based on. */
  readonly expectedVersion: number
  /** The version the store holds. */
  readonly actualVersion: number

  constructor(init: { sessionId: string; expectedVersion: number; actualVersion: number }) {
    super(
      ErrorCodes.SESSION_CONFLICT,
      `Session '${init.sessionId}' is at version ${init.actualVersion}, but this save was based on version ${init.expectedVersion}; nothing was saved. Reload the session and try again.`,
    )
    this.sessionId = init.sessionId
    this.expectedVersion = init.expectedVersion
    this.actualVersion = init.actualVersion
  }
}

/**
 * The session is leased by another owner (or the caller's lease expired or was released).
 * Nothing was changed.
 */
export class SessionBusyError extends PyFlueError {
  readonly sessionId: string
  /** The owner that holds the lease, when one does. */
  readonly ownerId: string | undefined
  /** When the holder's lease expires, milliseconds since the epoch, when one does. */
  readonly expiresAt: number | undefined

  constructor(init: { sessionId: string; ownerId?: string; expiresAt?: number; message?: string }) {
    super(
      ErrorCodes.SESSION_BUSY,
      init.message ??
        `Session '${init.sessionId}' is leased by owner '${init.ownerId ?? '?'}' until ${
          init.expiresAt === undefined ? '?' : new Date(init.expiresAt).toISOString()
        }.`,
    )
    this.sessionId = init.sessionId
    this.ownerId = init.ownerId
    this.expiresAt = init.expiresAt
  }
}

/** A commit would make a record larger than the store accepts. Nothing was changed. */
export class SessionTooLargeError extends PyFlueError {
  readonly sessionId: string
  /** What outgrew its bound, e.g. `'workspace'`. */
  readonly part: string
  readonly limitBytes: number
  readonly actualBytes: number

  constructor(init: { sessionId: string; part: string; limitBytes: number; actualBytes: number }) {
    super(
      ErrorCodes.SESSION_TOO_LARGE,
      `Session '${init.sessionId}': the ${init.part} would hold ${init.actualBytes} bytes, more than the store's limit of ${init.limitBytes}; nothing was saved.`,
    )
    this.sessionId = init.sessionId
    this.part = init.part
    this.limitBytes = init.limitBytes
    this.actualBytes = init.actualBytes
  }
}
