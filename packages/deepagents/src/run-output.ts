// The text `run_code` hands back to the model: what the code printed, the repr of its last
// expression, or the error with its traceback, truncated around a marker that says how much
// was cut. An abort is never turned into text: it must stop the agent, so it is rethrown.
import {
  isAbortError,
  isPyFlueError,
  type PythonRunResult,
  PythonRuntimeError,
  PythonSyntaxError,
} from '@pyflue/core'
import { pythonRepr } from './python-repr.js'

/** The default cap on the text of one `run_code` answer, in characters. */
export const DEFAULT_MAX_OUTPUT_CHARS = 8_000

/** `stdout:` then `result:` (omitted when `None`), or a note that there was neither. */
export function formatRunSuccess(run: PythonRunResult, maxChars = DEFAULT_MAX_OUTPUT_CHARS): string {
  const parts: string[] = []
  if (run.stdout !== '') parts.push(`stdout:\n${run.stdout.replace(/\n$/, '')}`)
  if (run.result !== null && run.result !== undefined) parts.push(`result: ${pythonRepr(run.result)}`)
  if (parts.length === 0) parts.push('(no output; the last statement was not an expression)')
  return truncateText(parts.join('\n'), maxChars)
}

/**
 * `stdout:` printed before the failure (when the error carries it), then `error:` with a Python
 * traceback, a syntax error, or a PyFlue error with its code. Rethrows abort errors.
 */
export function formatRunFailure(error: unknown, maxChars = DEFAULT_MAX_OUTPUT_CHARS): string {
  if (isAbortError(error)) throw error
  let text: string
  if (error instanceof PythonRuntimeError) text = error.formatTraceback()
  else if (error instanceof PythonSyntaxError)
    text = `SyntaxError: ${error.message.replace(/^\w*Error: /, '')}`
  else if (isPyFlueError(error)) text = `${error.name} (${error.code}): ${error.message}`
  else if (error instanceof Error) text = `${error.name}: ${error.message}`
  else text = `Error: ${String(error)}`
  const stdout = (error as { stdout?: unknown } | null)?.stdout
  const printed = typeof stdout === 'string' && stdout !== '' ? `stdout:\n${stdout.replace(/\n$/, '')}\n` : ''
  return truncateText(`${printed}error:\n${text}`, maxChars)
}

/** Shortens text to about `maxChars`, keeping its beginning and end around a marker saying how much was cut. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text
  const keep = Math.max(0, maxChars - 60)
  const head = Math.ceil(keep * 0.7)
  const tail = keep - head
  const cut = text.length - head - tail
  return `${text.slice(0, head)}\n[... ${cut} characters truncated ...]\n${text.slice(text.length - tail)}`
}
