import { isNetworkFailure, SandboxProviderError, type SandboxProviderFailure } from '@pyflue/core'
import {
  AuthenticationError,
  NotEnoughSpaceError,
  NotFoundError,
  RateLimitError,
  SandboxNotFoundError,
  TimeoutError,
} from 'e2b'

/** Which kind of provider failure an error from the `e2b` SDK is. */
export function classifyE2BError(error: unknown): SandboxProviderFailure {
  if (error instanceof AuthenticationError) return 'auth'
  if (error instanceof RateLimitError || error instanceof NotEnoughSpaceError) return 'quota'
  if (error instanceof SandboxNotFoundError || error instanceof NotFoundError) return 'not-found'
  // The SDK reports a sandbox that is gone (envd unreachable, HTTP 502) as a TimeoutError
  // "likely due to sandbox timeout"; other TimeoutErrors are request or command deadlines.
  if (error instanceof TimeoutError)
    return error.message.includes('sandbox timeout') ? 'not-found' : 'timeout'
  const name = (error as { name?: unknown } | null)?.name
  if (name === 'ServiceBusyError') return 'quota'
  if (isNetworkFailure(error)) return 'network'
  return 'unknown'
}

/** Wraps an SDK error as a `SandboxProviderError`, keeping the provider's message and the error as `cause`. */
export function toSandboxProviderError(error: unknown): SandboxProviderError {
  if (error instanceof SandboxProviderError) return error
  const message = describe(error)
  return new SandboxProviderError({
    provider: 'e2b',
    failure: classifyE2BError(error),
    message,
    cause: error,
  })
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = (error as { cause?: unknown }).cause
  if (error.message === 'fetch failed' && cause instanceof Error) return `fetch failed: ${cause.message}`
  return error.message
}
