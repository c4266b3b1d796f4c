import { isAbortError, isPyFlueError } from '@pyflue/core'
import type { HostPathScrubber } from './host-paths.js'

/**
 * The text a tool returns to the model when it failed, so the model can read why and try
 * something else (a refusal by the policy, a missing file, …). Host paths are rewritten by
 * `scrub` (see `host-paths.ts`): a raw error naming the host workspace reads as the sandbox
 * path. Abort errors are rethrown: an aborted tool call must stop the loop, not become text.
 */
export function formatToolError(error: unknown, scrub: HostPathScrubber = (text) => text): string {
  if (isAbortError(error)) throw error
  if (isPyFlueError(error)) return scrub(`Error (${error.code}): ${error.message}`)
  if (error instanceof Error) return scrub(`Error: ${error.message}`)
  return scrub(`Error: ${String(error)}`)
}
