/**
 * What telemetry records about a failure: its outcome (`aborted`, `limit` or `error`), a
 * low-cardinality `error.type` (the error class name) and, when known, the limit that was hit and
 * the Python exception type. Never the message: it may quote the code or the data.
 */
import { isAbortError } from '../abort.js'
import type { Outcome } from './telemetry-names.js'

/** The facts of one failure. */
export interface FailureFacts {
  outcome: Exclude<Outcome, 'ok'>
  errorType: string
  /** The `ResourceLimitError`'s `limit`, for a limit hit. */
  limit?: string
  /** The Python exception type (`excType`) of a Python error. */
  exceptionType?: string
}

/** Classifies `error` for spans and metrics. */
export function describeFailure(error: unknown): FailureFacts {
  if (isAbortError(error)) return { outcome: 'aborted', errorType: 'AbortError' }
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown
    code?: unknown
    limit?: unknown
    excType?: unknown
  }
  const errorType =
    typeof fields.name === 'string' && fields.name !== ''
      ? fields.name
      : typeof error === 'object'
        ? 'Error'
        : typeof error
  const facts: FailureFacts = { outcome: 'error', errorType }
  if (fields.code === 'RESOURCE_LIMIT' && typeof fields.limit === 'string') {
    facts.outcome = 'limit'
    facts.limit = fields.limit
  }
  if (typeof fields.excType === 'string') facts.exceptionType = fields.excType
  return facts
}
