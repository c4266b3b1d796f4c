import { ClosedError, SandboxProviderError } from '@pyflue/core'
import { APIError, StreamError } from '@vercel/sandbox'
import { describe, expect, it } from 'vitest'
import { toProviderError } from './provider-error.js'

function apiError(status: number, message: string): APIError<unknown> {
  return new APIError(new Response(null, { status, statusText: 'Status' }), { message })
}

describe('toProviderError maps what the SDK throws', () => {
  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [402, 'quota'],
    [429, 'quota'],
    [404, 'not-found'],
    [410, 'not-found'],
    [504, 'timeout'],
    [400, 'unknown'],
  ] as const)('APIError %i is %s, message and cause kept', (status, failure) => {
    const cause = apiError(status, `Status code ${status} is not ok: provider says no`)
    const error = toProviderError(cause)
    expect(error).toBeInstanceOf(SandboxProviderError)
    expect(error).toMatchObject({ provider: 'vercel', failure, code: 'SANDBOX_PROVIDER', cause })
    expect((error as Error).message).toContain('provider says no')
    expect((error as Error).message).toContain(`HTTP ${status}`)
  })

  it('a StreamError (the sandbox stopped while streaming) keeps its code and message', () => {
    const error = toProviderError(new StreamError('sandbox_stopped', 'The sandbox was stopped', 'sess_1'))
    expect(error).toMatchObject({ failure: 'unknown' })
    expect((error as Error).message).toMatch(/The sandbox was stopped \(stream error sandbox_stopped\)/)
  })

  it('network failures of fetch are network', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    })
    expect(toProviderError(refused)).toMatchObject({ failure: 'network' })
    expect((toProviderError(refused) as Error).message).toMatch(/ECONNREFUSED/)
  })

  it('missing credentials are auth', () => {
    const oidc = Object.assign(new Error('Could not get credentials from OIDC context.'), {
      name: 'LocalOidcContextError',
    })
    expect(toProviderError(oidc)).toMatchObject({ failure: 'auth' })
    expect(
      toProviderError(new Error('Missing credentials parameters to access the Vercel API: teamId')),
    ).toMatchObject({ failure: 'auth' })
  })

  it('PyFlue errors and abort errors pass through unchanged', () => {
    const closed = new ClosedError('sandbox')
    expect(toProviderError(closed)).toBe(closed)
    const abort = new DOMException('aborted', 'AbortError')
    expect(toProviderError(abort)).toBe(abort)
  })

  it('anything else is unknown with its message', () => {
    expect(toProviderError(new Error('odd'))).toMatchObject({
      failure: 'unknown',
      message: 'vercel (unknown): odd',
    })
  })
})
