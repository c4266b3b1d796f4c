// What `run_code` answers an MCP client: model-friendly text (what the code printed, the repr of
// its last expression, or the error with its traceback, truncated with a marker) and the same
// facts as `structuredContent` for clients that read JSON.

import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import {
  isPyFlueError,
  type PythonRunResult,
  PythonRuntimeError,
  PythonSyntaxError,
  pythonRepr,
  ResourceLimitError,
  truncateText,
} from '@pyflue/core'
import { toJsonValue } from './python-value.js'

/** The default cap on the text of one tool result, in characters. */
export const DEFAULT_MAX_OUTPUT_CHARS = 8_000

/** The answer to a run that succeeded: `stdout:` then `result:` (omitted when `None`). */
export function runSuccessResult(run: PythonRunResult, maxChars: number): CallToolResult {
  const parts: string[] = []
  if (run.stdout !== '') parts.push(`stdout:\n${truncateText(withoutFinalNewline(run.stdout), maxChars)}`)
  if (run.result !== null && run.result !== undefined)
    parts.push(`result: ${pythonRepr(run.result, { maxChars })}`)
  if (parts.length === 0) parts.push('(no output; the last statement was not an expression)')
  return {
    content: [{ type: 'text', text: truncateText(parts.join('\n'), maxChars) }],
    structuredContent: {
      stdout: truncateText(run.stdout, maxChars),
      result: toJsonValue(run.result, maxChars),
      durationMs: run.durationMs,
    },
  }
}

/**
 * The answer to a run that failed (`isError: true`): stdout printed before the failure, then the
 * error: a Python traceback, a syntax error, or a PyFlue error with its code (a limit hit names
 * the limit). `structuredContent.error` holds `{ type, code, message }`.
 */
export function runFailureResult(error: unknown, maxChars: number): CallToolResult {
  let text: string
  let type = 'Error'
  let code: string | undefined
  if (error instanceof PythonRuntimeError) {
    text = error.formatTraceback()
    type = error.excType
  } else if (error instanceof PythonSyntaxError) {
    text = `SyntaxError: ${error.message.replace(/^\w*Error: /, '')}`
    type = 'SyntaxError'
  } else if (isPyFlueError(error)) {
    text = `${error.name} (${error.code}): ${error.message}`
    type = error.name
  } else {
    text = error instanceof Error ? `${error.name}: ${error.message}` : `Error: ${String(error)}`
  }
  if (isPyFlueError(error)) code = error.code
  const stdout = (error as { stdout?: unknown } | null)?.stdout
  const printed =
    typeof stdout === 'string' && stdout !== ''
      ? `stdout:\n${truncateText(withoutFinalNewline(stdout), maxChars)}\n`
      : ''
  const limit = error instanceof ResourceLimitError ? { limit: error.limit } : {}
  return {
    isError: true,
    content: [
      { type: 'text', text: truncateText(`${printed}error:\n${truncateText(text, maxChars)}`, maxChars) },
    ],
    structuredContent: {
      stdout: typeof stdout === 'string' ? truncateText(stdout, maxChars) : '',
      error: { type, ...(code ? { code } : {}), message: truncateText(text, maxChars), ...limit },
    },
  }
}

/** The answer to a file tool that failed (`isError: true`): `Error (CODE): message`. */
export function toolFailureResult(error: unknown): CallToolResult {
  const text = isPyFlueError(error)
    ? `Error (${error.code}): ${error.message}`
    : `Error: ${error instanceof Error ? error.message : String(error)}`
  return { isError: true, content: [{ type: 'text', text }] }
}

/** `text` without one trailing newline (a constant-time look at its last character). */
function withoutFinalNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text
}
