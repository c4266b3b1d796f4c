/**
 * Lease helpers every store shares: option checks, tokens, and the wait loop of
 * `acquire(id, { waitMs })` around one store-specific attempt.
 */
import { InvalidArgumentError } from './errors/pyflue-error.js'
import { SessionBusyError } from './errors/session-errors.js'
import { refuseUnknownKeys } from './option-keys.js'
import type { AcquireLeaseOptions, SessionLease } from './session-store.js'

/** A random token, unique per acquisition (no runtime dependency: Web Crypto of Node 20). */
export function randomLeaseToken(): string {
  return globalThis.crypto.randomUUID()
}

/** Refuses bad acquire options with typed errors. */
export function checkAcquireOptions(id: string, options: AcquireLeaseOptions): void {
  if (typeof id !== 'string' || id === '')
    throw new InvalidArgumentError('id', 'A session id is a non-empty string.')
  refuseUnknownKeys(options, ['ownerId', 'ttlMs', 'waitMs', 'signal'], 'acquire options')
  if (typeof options.ownerId !== 'string' || options.ownerId === '') {
    throw new InvalidArgumentError('ownerId', 'ownerId is a non-empty string.')
  }
  if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) {
    throw new InvalidArgumentError('ttlMs', 'ttlMs is a positive number of milliseconds.')
  }
  if (options.waitMs !== undefined && (!Number.isFinite(options.waitMs) || options.waitMs < 0)) {
    throw new InvalidArgumentError('waitMs', 'waitMs is a non-negative number of milliseconds.')
  }
}

/**
 * Calls `attempt` until it resolves; while it rejects with `SessionBusyError` and `waitMs` has
 * not passed, retries after a short pause (at most until the holder's lease expires). Other
 * errors and the last busy error propagate.
 */
export async function waitForLease(
  id: string,
  options: AcquireLeaseOptions,
  attempt: () => Promise<SessionLease>,
): Promise<SessionLease> {
  checkAcquireOptions(id, options)
  const deadline = Date.now() + (options.waitMs ?? 0)
  for (;;) {
    options.signal?.throwIfAborted()
    try {
      return await attempt()
    } catch (error) {
      if (!(error instanceof SessionBusyError)) throw error
      const now = Date.now()
      if (now >= deadline) throw error
      const untilExpiry = error.expiresAt === undefined ? 50 : Math.max(1, error.expiresAt - now)
      await pause(Math.min(50, untilExpiry, deadline - now), options.signal)
    }
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done() {
      signal?.removeEventListener('abort', aborted)
      resolve()
    }
    function aborted() {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', aborted, { once: true })
  })
}
