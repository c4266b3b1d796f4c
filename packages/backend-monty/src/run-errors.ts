/**
 * `toPyFlueError`: a run's Monty failure as the PyFlue error the contract names. A syntax error is
 * `PythonSyntaxError` (with the analysis's line and column); a limit Monty enforced is
 * `ResourceLimitError` naming the limit and its value; a construct Monty refuses at run time is
 * `PythonUnsupportedError`; any other Python exception is `PythonRuntimeError` with a traceback in
 * the snippet's own lines. Anything that is not a `MontyFailure` is returned unchanged.
 */
import {
  PythonRuntimeError,
  PythonSyntaxError,
  PythonUnsupportedError,
  ResourceLimitError,
  type ResourceLimits,
} from '@pyflue/core'
import { MontyFailure } from './monty-failure.js'
import { mapTraceback, type Program } from './program-builder.js'
import { limitOf } from './run-limits.js'
import type { SnippetAnalysis } from './snippet-analysis.js'

export function toPyFlueError(
  error: unknown,
  program: Program,
  analysis: SnippetAnalysis,
  limits: ResourceLimits,
): unknown {
  if (!(error instanceof MontyFailure)) return error
  const { typeName, pythonMessage: message } = error
  if (error.kind === 'syntax') {
    return new PythonSyntaxError({
      excType: typeName || 'SyntaxError',
      message,
      ...(analysis.syntaxError
        ? { line: analysis.syntaxError.line, column: analysis.syntaxError.column }
        : {}),
      cause: error,
    })
  }
  const limit = limitOf(typeName, message)
  if (limit) {
    return new ResourceLimitError({
      limit,
      ...(limits[limit] === undefined ? {} : { value: limits[limit] }),
      message: `The run exceeded its ${limit} limit${limits[limit] === undefined ? '' : ` (${limits[limit]})`}: ${message}`,
      cause: error,
    })
  }
  if (
    typeName === 'NotImplementedError' &&
    error.frames.length === 0 &&
    /does not (yet )?support/.test(message)
  ) {
    return new PythonUnsupportedError({
      construct: message.replace(/^.*does not (yet )?support /, ''),
      alternative: 'Rewrite the snippet without it (see the backend README for what Monty supports).',
    })
  }
  return new PythonRuntimeError({
    excType: typeName,
    message,
    traceback: mapTraceback(program, error.frames),
    cause: error,
  })
}
