/**
 * The model-facing text of a Python run, shared by every harness and server that hands runs to a
 * model (`run_code` in @pyflue/harness, @pyflue/deepagents and @pyflue/mcp): what the code printed,
 * the repr of its last expression, or the error with its traceback, each bounded before it is built.
 */
import { isAbortError } from './abort.js'
import { isPyFlueError } from './errors/pyflue-error.js'
import { PythonRuntimeError, PythonSyntaxError } from './errors/python-errors.js'
import type { PythonRunResult } from './python-backend.js'
import { pythonRepr } from './python-repr.js'
import { truncateText } from './truncate-text.js'

/** The default cap on the text `run_code` returns to the model, in characters. */
export const DEFAULT_MAX_OUTPUT_CHARS = 8_000

/**
 * The model-facing text of a successful run: what it printed, then the repr of its last
 * expression (omitted when it is `None` and something was printed), truncated with a marker.
 * Each part is cut to `maxChars` before the parts are joined, and the repr is built under that
 * budget (see `pythonRepr`), so the work is bounded by `maxChars`, not by the size of the
 * output or of the value.
 */
export function formatRunSuccess(run: PythonRunResult, maxChars = DEFAULT_MAX_OUTPUT_CHARS): string {
  const parts: string[] = []
  if (run.stdout !== '') parts.push(`stdout:\n${truncateText(withoutFinalNewline(run.stdout), maxChars)}`)
  if (run.result !== null && run.result !== undefined)
    parts.push(`result: ${pythonRepr(run.result, { maxChars })}`)
  if (parts.length === 0) parts.push('(no output; the last statement was not an expression)')
  return truncateText(parts.join('\n'), maxChars)
}

/** `text` without one trailing newline (a constant-time look at its last character). */
function withoutFinalNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text
}

/**
 * The model-facing text of a failed run: stdout printed before the failure (when the error
 * carries it) and the error with its traceback, so the model can fix its code. Abort errors are
 * not formatted: they must stop the loop, so callers rethrow them.
 */
export function formatRunFailure(error: unknown, maxChars = DEFAULT_MAX_OUTPUT_CHARS): string {
  if (isAbortError(error)) throw error
  let text: string
  if (error instanceof PythonRuntimeError) {
    text = error.formatTraceback()
  } else if (error instanceof PythonSyntaxError) {
    text = `SyntaxError: ${error.message.replace(/^\w*Error: /, '')}`
  } else if (isPyFlueError(error)) {
    text = `${error.name} (${error.code}): ${error.message}`
  } else if (error instanceof Error) {
    text = `${error.name}: ${error.message}`
  } else {
    text = `Error: ${String(error)}`
  }
  const stdout = (error as { stdout?: unknown } | null)?.stdout
  const prefix =
    typeof stdout === 'string' && stdout !== ''
      ? `stdout:\n${truncateText(withoutFinalNewline(stdout), maxChars)}\n`
      : ''
  return truncateText(`${prefix}error:\n${truncateText(text, maxChars)}`, maxChars)
}
