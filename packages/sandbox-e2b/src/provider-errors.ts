import { SandboxProviderError, type SandboxProviderFailure } from '@pyflue/core'
import {
  AuthenticationError,
  NotEnoughSpaceError,
  NotFoundError,
  RateLimitError,
  SandboxNotFoundError,
  TimeoutError,
} from 'e2b'

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE'])

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
  if (isNetworkError(error)) return 'network'
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

function isNetworkError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true
    const message = String((current as { message?: unknown }).message ?? '')
    if (
      message.includes('fetch failed') ||
      message.includes('terminated') ||
      message.includes('socket hang up')
    )
      return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}
