/**
 * The default session store: records and leases live in this process's memory and die with it.
 * Meets the whole `SessionStore` contract, so it is also the reference the testkit suite runs on.
 */

import { applySessionCommit, copySessionRecord } from './apply-session-commit.js'
import { InvalidArgumentError } from './errors/pyflue-error.js'
import { SessionBusyError } from './errors/session-errors.js'
import { refuseUnknownKeys } from './option-keys.js'
import { randomLeaseToken, waitForLease } from './session-lease.js'
import {
  type AcquireLeaseOptions,
  DEFAULT_MAX_WORKSPACE_BYTES,
  SESSION_STORE_CONTRACT_VERSION,
  type SessionCommit,
  type SessionLease,
  type SessionRecord,
  type SessionStore,
} from './session-store.js'

export interface InMemorySessionStoreOptions {
  /** The workspace bound in bytes of file contents. Default `DEFAULT_MAX_WORKSPACE_BYTES`. */
  maxWorkspaceBytes?: number
}

interface HeldLease {
  ownerId: string
  token: string
  ttlMs: number
  expiresAt: number
}

export class InMemorySessionStore implements SessionStore {
  readonly contractVersion = SESSION_STORE_CONTRACT_VERSION
  readonly #records = new Map<string, SessionRecord>()
  readonly #leases = new Map<string, HeldLease>()
  readonly #maxWorkspaceBytes: number

  constructor(options: InMemorySessionStoreOptions = {}) {
    refuseUnknownKeys(options, ['maxWorkspaceBytes'], 'InMemorySessionStore options')
    const max = options.maxWorkspaceBytes ?? DEFAULT_MAX_WORKSPACE_BYTES
    if (!Number.isInteger(max) || max < 0) {
      throw new InvalidArgumentError('maxWorkspaceBytes', 'maxWorkspaceBytes must be a non-negative integer.')
    }
    this.#maxWorkspaceBytes = max
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    const record = this.#records.get(id)
    return record ? copySessionRecord(record) : undefined
  }

  async acquire(id: string, options: AcquireLeaseOptions): Promise<SessionLease> {
    return waitForLease(id, options, async () => {
      const held = this.#leases.get(id)
      const now = Date.now()
      if (held && held.expiresAt > now) {
        throw new SessionBusyError({ sessionId: id, ownerId: held.ownerId, expiresAt: held.expiresAt })
      }
      const lease = {
        ownerId: options.ownerId,
        token: randomLeaseToken(),
        ttlMs: options.ttlMs,
        expiresAt: now + options.ttlMs,
      }
      this.#leases.set(id, lease)
      return { sessionId: id, ownerId: lease.ownerId, token: lease.token, expiresAt: lease.expiresAt }
    })
  }

  async renew(lease: SessionLease, ttlMs?: number): Promise<SessionLease> {
    const held = this.#current(lease)
    held.expiresAt = Date.now() + (ttlMs ?? held.ttlMs)
    return { ...lease, expiresAt: held.expiresAt }
  }

  async release(lease: SessionLease): Promise<void> {
    const held = this.#leases.get(lease.sessionId)
    if (held && held.token === lease.token) this.#leases.delete(lease.sessionId)
  }

  async commit(lease: SessionLease, change: SessionCommit): Promise<number> {
    this.#current(lease)
    const next = applySessionCommit(lease.sessionId, this.#records.get(lease.sessionId), change, {
      maxWorkspaceBytes: this.#maxWorkspaceBytes,
    })
    this.#records.set(lease.sessionId, next)
    return next.version
  }

  async delete(lease: SessionLease): Promise<void> {
    this.#current(lease)
    this.#records.delete(lease.sessionId)
    this.#leases.delete(lease.sessionId)
  }

  async close(): Promise<void> {}

  #current(lease: SessionLease): HeldLease {
    const held = this.#leases.get(lease.sessionId)
    if (!held || held.token !== lease.token || held.expiresAt <= Date.now()) {
      throw new SessionBusyError({
        sessionId: lease.sessionId,
        ...(held && held.token !== lease.token ? { ownerId: held.ownerId, expiresAt: held.expiresAt } : {}),
        message: `The lease of owner '${lease.ownerId}' on session '${lease.sessionId}' is no longer current (expired, released or taken over); nothing was changed.`,
      })
    }
    return held
  }
}
