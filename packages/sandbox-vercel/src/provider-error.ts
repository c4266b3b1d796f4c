import {
  isAbortError,
  isNetworkFailure,
  isPyFlueError,
  SandboxProviderError,
  type SandboxProviderFailure,
} from '@pyflue/core'
import { APIError, StreamError } from '@vercel/sandbox'

/** The provider name in every `SandboxProviderError` this package throws. */
export const PROVIDER = 'vercel'

/**
 * Turns what the `@vercel/sandbox` SDK threw into a `SandboxProviderError` that keeps the
 * provider's message (and the original error as `cause`). PyFlue errors and abort errors pass
 * through unchanged.
 */
export function toProviderError(error: unknown): unknown {
  if (isPyFlueError(error) || isAbortError(error)) return error
  return new SandboxProviderError({
    provider: PROVIDER,
    failure: classify(error),
    message: describe(error),
    cause: error,
  })
}

/** Runs `operation`, converting anything it throws with `toProviderError`. */
export async function withProviderErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    throw toProviderError(error)
  }
}

function classify(error: unknown): SandboxProviderFailure {
  if (error instanceof APIError) {
    const status = error.response.status
    if (status === 401 || status === 403) return 'auth'
    if (status === 402 || status === 429) return 'quota'
    if (status === 404 || status === 410) return 'not-found'
    if (status === 408 || status === 504) return 'timeout'
    return 'unknown'
  }
  if (error instanceof StreamError) return 'unknown'
  const name = (error as { name?: unknown } | null)?.name
  if (name === 'LocalOidcContextError' || name === 'VercelOidcContextError') return 'auth'
  const message = String((error as { message?: unknown } | null)?.message ?? '')
  if (message.startsWith('Missing credentials parameters') || message.startsWith('Invalid Vercel OIDC token'))
    return 'auth'
  if (isNetworkFailure(error)) return 'network'
  return 'unknown'
}

function describe(error: unknown): string {
  if (error instanceof APIError) {
    const status = `${error.response.status} ${error.response.statusText}`.trim()
    return error.message ? `${error.message} (HTTP ${status})` : `HTTP ${status}`
  }
  if (error instanceof StreamError) return `${error.message} (stream error ${error.code})`
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
    return `${error.message}${cause}`
  }
  return String(error)
}
