/**
 * Every error PyFlue throws on purpose is a `PyFlueError` with a stable `code`.
 *
 * Codes never change meaning between versions, so callers may switch on them. Third-party
 * backends and sandboxes that do not import this package at run time may throw any `Error`
 * with the same `name` and `code` properties; `isPyFlueError` recognises both.
 */
export class PyFlueError extends Error {
  /** A stable, SCREAMING_SNAKE_CASE identifier of the failure kind. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Every stable error code in `@pyflue/core`. */
export const ErrorCodes = {
  PYTHON_SYNTAX: 'PYTHON_SYNTAX',
  PYTHON_RUNTIME: 'PYTHON_RUNTIME',
  PYTHON_TYPING: 'PYTHON_TYPING',
  PYTHON_UNSUPPORTED: 'PYTHON_UNSUPPORTED',
  RESOURCE_LIMIT: 'RESOURCE_LIMIT',
  VALUE_CONVERSION: 'VALUE_CONVERSION',
  STATE_FORMAT: 'STATE_FORMAT',
  RESULT_VALIDATION: 'RESULT_VALIDATION',
  PACKAGE_NOT_INSTALLED: 'PACKAGE_NOT_INSTALLED',
  NOT_REGISTERED: 'NOT_REGISTERED',
  NOT_CONFIGURED: 'NOT_CONFIGURED',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  CLOSED: 'CLOSED',
  SANDBOX_FILE: 'SANDBOX_FILE',
  SANDBOX_OPERATION_UNSUPPORTED: 'SANDBOX_OPERATION_UNSUPPORTED',
  SANDBOX_LIMIT: 'SANDBOX_LIMIT',
  SANDBOX_PROVIDER: 'SANDBOX_PROVIDER',
  PATH_REFUSED: 'PATH_REFUSED',
  COMMAND_REFUSED: 'COMMAND_REFUSED',
  WRITE_REFUSED: 'WRITE_REFUSED',
  EXECUTION_CRASHED: 'EXECUTION_CRASHED',
  SESSION_CONFLICT: 'SESSION_CONFLICT',
  SESSION_BUSY: 'SESSION_BUSY',
  SESSION_TOO_LARGE: 'SESSION_TOO_LARGE',
  PAUSE_FORMAT: 'PAUSE_FORMAT',
  PAUSE_STALE: 'PAUSE_STALE',
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

/**
 * True when `error` is a PyFlue error: an instance of `PyFlueError`, or any object with a string
 * `code` and a `name` ending in `Error` (the duck-typed form third parties may throw).
 * With `code`, also checks that the error carries that code.
 */
export function isPyFlueError(error: unknown, code?: string): error is PyFlueError {
  if (typeof error !== 'object' || error === null) return false
  const candidate = error as { code?: unknown; name?: unknown }
  const shaped =
    error instanceof PyFlueError ||
    (typeof candidate.code === 'string' &&
      typeof candidate.name === 'string' &&
      candidate.name.endsWith('Error') &&
      Object.values(ErrorCodes).includes(candidate.code as ErrorCode))
  return shaped && (code === undefined || candidate.code === code)
}

/** Thrown when a caller passes a value the API does not accept. */
export class InvalidArgumentError extends PyFlueError {
  /** The name of the argument or option that was refused. */
  readonly argument: string

  constructor(argument: string, message: string) {
    super(ErrorCodes.INVALID_ARGUMENT, message)
    this.argument = argument
  }
}

/** Thrown when a closed backend or sandbox is used. */
export class ClosedError extends PyFlueError {
  /** What was closed, e.g. `'python backend'` or `'sandbox'`. */
  readonly resource: string

  constructor(resource: string) {
    super(ErrorCodes.CLOSED, `This ${resource} has been closed and cannot be used any more.`)
    this.resource = resource
  }
}
