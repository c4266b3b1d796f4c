/**
 * The classifications every sandbox driver shares: which Node-style error codes are a
 * `SandboxFileError` errno, and which failures are the network's (a `SandboxProviderError` with
 * `failure: 'network'`). One list here instead of a copy per provider package.
 */
import type { SandboxFileErrno } from './errors/sandbox-errors.js'

/** Every `SandboxFileError.errno`. */
export const SANDBOX_FILE_ERRNOS: readonly SandboxFileErrno[] = Object.freeze([
  'ENOENT',
  'EEXIST',
  'ENOTDIR',
  'EISDIR',
  'ENOTEMPTY',
  'EACCES',
  'EIO',
])

const ERRNO_SET: ReadonlySet<string> = new Set(SANDBOX_FILE_ERRNOS)

/** True when `value` is one of `SANDBOX_FILE_ERRNOS`. */
export function isSandboxFileErrno(value: unknown): value is SandboxFileErrno {
  return typeof value === 'string' && ERRNO_SET.has(value)
}

/** Error codes (Node's and undici's) that mean the provider could not be reached or the connection broke. */
export const NETWORK_FAILURE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
])

/**
 * True when `error`, or one of its first five `cause`s, is a network failure: a code of
 * `NETWORK_FAILURE_CODES`, or fetch's own words for one (`fetch failed`, `terminated`,
 * `socket hang up`).
 */
export function isNetworkFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && NETWORK_FAILURE_CODES.has(code)) return true
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
