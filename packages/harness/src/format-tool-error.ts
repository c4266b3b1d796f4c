import { isAbortError, isPyFlueError } from '@pyflue/core'

/**
 * The text a tool returns to the model when it failed, so the model can read why and try
 * something else (a refusal by the policy, a missing file, …). Abort errors are rethrown: an
 * aborted tool call must stop the loop, not become text.
 */
export function formatToolError(error: unknown): string {
  if (isAbortError(error)) throw error
  if (isPyFlueError(error)) return `Error (${error.code}): ${error.message}`
  if (error instanceof Error) return `Error: ${error.message}`
  return `Error: ${String(error)}`
}
