import { ErrorCodes, PyFlueError } from './pyflue-error.js'

/** One frame of a Python traceback, innermost last (Python's own order). */
export interface PythonTracebackFrame {
  /** The script name: `'<snippet>'` for the user's code unless the caller named it. */
  readonly filename: string
  /** 1-based line in the user's snippet (never a line of code an engine added). */
  readonly line: number
  /** 1-based column, when known. */
  readonly column?: number
  /** The enclosing function, `'<module>'` at top level. */
  readonly name?: string
  /** The source line itself, when known. */
  readonly source?: string
}

/** The source of a snippet could not be parsed. */
export class PythonSyntaxError extends PyFlueError {
  /** The Python exception type, usually `'SyntaxError'`. */
  readonly excType: string
  /** Python's message without the type prefix. */
  readonly pythonMessage: string
  /** 1-based line of the problem in the user's snippet, when known. */
  readonly line?: number
  /** 1-based column, when known. */
  readonly column?: number

  constructor(init: { excType?: string; message: string; line?: number; column?: number; cause?: unknown }) {
    const where = init.line === undefined ? '' : ` (line ${init.line})`
    super(ErrorCodes.PYTHON_SYNTAX, `${init.excType ?? 'SyntaxError'}: ${init.message}${where}`, {
      cause: init.cause,
    })
    this.excType = init.excType ?? 'SyntaxError'
    this.pythonMessage = init.message
    if (init.line !== undefined) this.line = init.line
    if (init.column !== undefined) this.column = init.column
  }
}

/** The snippet raised a Python exception that it did not catch. */
export class PythonRuntimeError extends PyFlueError {
  /** The Python exception type, e.g. `'ZeroDivisionError'`. */
  readonly excType: string
  /** Python's message (`str(exc)`). */
  readonly pythonMessage: string
  /** The traceback, outermost first, with lines in the user's snippet. */
  readonly traceback: readonly PythonTracebackFrame[]

  constructor(init: {
    excType: string
    message: string
    traceback?: readonly PythonTracebackFrame[]
    cause?: unknown
  }) {
    const last = init.traceback?.at(-1)
    const where = last ? ` (line ${last.line})` : ''
    super(ErrorCodes.PYTHON_RUNTIME, `${init.excType}: ${init.message}${where}`, { cause: init.cause })
    this.excType = init.excType
    this.pythonMessage = init.message
    this.traceback = init.traceback ?? []
  }

  /** The traceback rendered as Python prints it. */
  formatTraceback(): string {
    const lines = ['Traceback (most recent call last):']
    for (const frame of this.traceback) {
      lines.push(`  File "${frame.filename}", line ${frame.line}, in ${frame.name ?? '<module>'}`)
      if (frame.source) lines.push(`    ${frame.source.trim()}`)
    }
    lines.push(this.pythonMessage ? `${this.excType}: ${this.pythonMessage}` : this.excType)
    return lines.join('\n')
  }
}

/** Type checking (`typeCheck: true`) found problems; nothing was executed. */
export class PythonTypingError extends PyFlueError {
  /** The checker's rendered diagnostics, with lines in the user's snippet. */
  readonly diagnostics: string

  constructor(diagnostics: string, options?: { cause?: unknown }) {
    super(ErrorCodes.PYTHON_TYPING, `Type check failed:\n${diagnostics}`, options)
    this.diagnostics = diagnostics
  }
}

/** The snippet uses Python the backend does not support; says what to do instead. */
export class PythonUnsupportedError extends PyFlueError {
  /** The construct, e.g. `'class statement'`. */
  readonly construct: string
  /** What to use instead. */
  readonly alternative: string
  /** 1-based line in the user's snippet, when known. */
  readonly line?: number

  constructor(init: { construct: string; alternative: string; line?: number }) {
    const where = init.line === undefined ? '' : ` (line ${init.line})`
    super(
      ErrorCodes.PYTHON_UNSUPPORTED,
      `This Python backend does not support ${init.construct}${where}. ${init.alternative}`,
    )
    this.construct = init.construct
    this.alternative = init.alternative
    if (init.line !== undefined) this.line = init.line
  }
}

/** Names of the limits a run can hit. */
export type ResourceLimitName =
  | 'maxDurationSecs'
  | 'maxMemory'
  | 'maxAllocations'
  | 'maxRecursionDepth'
  | 'maxStdoutBytes'
  | 'maxStateBytes'

/** A run exceeded a resource limit; the session is unchanged and keeps working. */
export class ResourceLimitError extends PyFlueError {
  /** Which limit was hit. */
  readonly limit: ResourceLimitName
  /** The limit's value in force for the run, when known. */
  readonly value?: number

  constructor(init: { limit: ResourceLimitName; value?: number; message?: string; cause?: unknown }) {
    const shown = init.value === undefined ? '' : ` (${init.value})`
    super(ErrorCodes.RESOURCE_LIMIT, init.message ?? `The run exceeded its ${init.limit} limit${shown}.`, {
      cause: init.cause,
    })
    this.limit = init.limit
    if (init.value !== undefined) this.value = init.value
  }
}

/** A value could not cross between Python and JavaScript without loss. */
export class ValueConversionError extends PyFlueError {
  /** Where inside the value: `'result'`, `'inputs.rows[3].when'`, … */
  readonly path: string
  /** What was found there, e.g. `'function'`, `'cycle'`. */
  readonly found: string

  constructor(init: { path: string; found: string; message: string }) {
    super(ErrorCodes.VALUE_CONVERSION, `${init.message} (at ${init.path})`)
    this.path = init.path
    this.found = init.found
  }
}

/** Saved state bytes were refused: wrong magic, unknown version, corrupt or truncated. */
export class StateFormatError extends PyFlueError {
  /** Why the bytes were refused. */
  readonly reason: 'magic' | 'version' | 'corrupt' | 'truncated' | 'backend'

  constructor(reason: StateFormatError['reason'], message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.STATE_FORMAT, message, options)
    this.reason = reason
  }
}

/**
 * The process or thread that was executing a run died before the run finished (killed from
 * outside, or a crash of the engine). The session is unchanged and the next run works.
 */
export class ExecutionCrashedError extends PyFlueError {
  /** The exit code of the process, when it exited by itself. */
  readonly exitCode: number | null
  /** The signal that ended the process (e.g. `'SIGKILL'`), when one did. */
  readonly signal: string | null

  constructor(init: { exitCode: number | null; signal: string | null; message?: string; cause?: unknown }) {
    const how = init.signal ? `signal ${init.signal}` : `exit code ${init.exitCode}`
    super(
      ErrorCodes.EXECUTION_CRASHED,
      init.message ?? `The process executing the run ended (${how}) before the run finished.`,
      { cause: init.cause },
    )
    this.exitCode = init.exitCode
    this.signal = init.signal
  }
}
