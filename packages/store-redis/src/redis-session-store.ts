/**
 * A `SessionStore` (core contract v1) on Redis through `ioredis`. Every lease step and every
 * commit is one Lua script, so it is atomic on the server; a commit appends one entry to the
 * session's commit list, so a save writes only what it changed. `load` replays the list in order.
 */
import {
  type AcquireLeaseOptions,
  applySessionCommit,
  DEFAULT_MAX_WORKSPACE_BYTES,
  InvalidArgumentError,
  randomLeaseToken,
  refuseUnknownKeys,
  SESSION_STORE_CONTRACT_VERSION,
  SessionBusyError,
  type SessionCommit,
  SessionConflictError,
  type SessionLease,
  type SessionRecord,
  type SessionStore,
  SessionTooLargeError,
  StateFormatError,
  waitForLease,
} from '@pyflue/core'
import { Redis } from 'ioredis'
import { decodeBytes, encodeBytes } from './json-bytes.js'
import { ACQUIRE, COMMIT, DELETE, RELEASE, RENEW } from './redis-scripts.js'

export interface RedisSessionStoreOptions {
  /** A connection string, e.g. `redis://127.0.0.1:6379/0`. The store opens and closes its client. */
  url?: string
  /** An existing ioredis client the store uses and never closes. */
  client?: Redis
  /** Prefix of every key. Default `'pyflue:'`. */
  keyPrefix?: string
  /** The workspace bound in bytes of file contents. Default `DEFAULT_MAX_WORKSPACE_BYTES` (64 MiB). */
  maxWorkspaceBytes?: number
}

export class RedisSessionStore implements SessionStore {
  readonly contractVersion = SESSION_STORE_CONTRACT_VERSION
  readonly #redis: Redis
  readonly #ownsClient: boolean
  readonly #prefix: string
  readonly #maxWorkspaceBytes: number

  constructor(options: RedisSessionStoreOptions) {
    refuseUnknownKeys(
      options,
      ['url', 'client', 'keyPrefix', 'maxWorkspaceBytes'],
      'RedisSessionStore options',
    )
    if ((options.url === undefined) === (options.client === undefined)) {
      throw new InvalidArgumentError('url', 'RedisSessionStore needs exactly one of url or client.')
    }
    this.#ownsClient = options.client === undefined
    this.#redis =
      options.client ?? new Redis(options.url as string, { lazyConnect: false, maxRetriesPerRequest: 2 })
    this.#prefix = options.keyPrefix ?? 'pyflue:'
    this.#maxWorkspaceBytes = options.maxWorkspaceBytes ?? DEFAULT_MAX_WORKSPACE_BYTES
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    const k = this.#keys(id)
    const result = await this.#redis.multi().hget(k.head, 'version').lrange(k.commits, 0, -1).exec()
    const version = Number(result?.[0]?.[1] ?? 0)
    const entries = (result?.[1]?.[1] as string[] | undefined) ?? []
    let record: SessionRecord | undefined
    for (const entry of entries.slice(0, version)) {
      record = applySessionCommit(id, record, decodeBytes(JSON.parse(entry)) as SessionCommit, {
        maxWorkspaceBytes: Number.POSITIVE_INFINITY,
      })
    }
    return record
  }

  async acquire(id: string, options: AcquireLeaseOptions): Promise<SessionLease> {
    return waitForLease(id, options, async () => {
      const now = Date.now()
      const token = randomLeaseToken()
      const reply = (await this.#redis.eval(
        ACQUIRE,
        1,
        this.#keys(id).lease,
        options.ownerId,
        token,
        options.ttlMs,
        now,
      )) as [number, string?, string?]
      if (reply[0] !== 1) {
        throw new SessionBusyError({ sessionId: id, ownerId: reply[1] ?? '?', expiresAt: Number(reply[2]) })
      }
      return { sessionId: id, ownerId: options.ownerId, token, expiresAt: now + options.ttlMs }
    })
  }

  async renew(lease: SessionLease, ttlMs?: number): Promise<SessionLease> {
    const reply = Number(
      await this.#redis.eval(
        RENEW,
        1,
        this.#keys(lease.sessionId).lease,
        lease.token,
        Date.now(),
        ttlMs ?? '',
      ),
    )
    if (reply < 0) throw lost(lease)
    return { ...lease, expiresAt: reply }
  }

  async release(lease: SessionLease): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#keys(lease.sessionId).lease, lease.token)
  }

  async commit(lease: SessionLease, change: SessionCommit): Promise<number> {
    const id = lease.sessionId
    const k = this.#keys(id)
    const head = await this.#redis.hgetall(k.head)
    const version = Number(head.version ?? 0)
    if (change.expectedVersion !== version) {
      throw new SessionConflictError({
        sessionId: id,
        expectedVersion: change.expectedVersion,
        actualVersion: version,
      })
    }
    const sizes = nextSizes(head.sizes ? (JSON.parse(head.sizes) as Record<string, number>) : {}, change)
    const total = Object.values(sizes).reduce((a, b) => a + b, 0)
    if (total > this.#maxWorkspaceBytes) {
      throw new SessionTooLargeError({
        sessionId: id,
        part: 'workspace',
        limitBytes: this.#maxWorkspaceBytes,
        actualBytes: total,
      })
    }
    let python = head.pyBackend ? { backend: head.pyBackend, engineVersion: head.pyEngine ?? '' } : undefined
    if (change.python?.kind === 'snapshot')
      python = { backend: change.python.backend, engineVersion: change.python.engineVersion }
    else if (
      change.python &&
      (python?.backend !== change.python.backend || python.engineVersion !== change.python.engineVersion)
    ) {
      throw new StateFormatError(
        python?.backend === change.python.backend ? 'version' : 'backend',
        `A Python delta of ${change.python.backend} ${change.python.engineVersion} does not match the stored state; commit a snapshot instead.`,
      )
    }
    // The script re-checks the version, so a commit that raced this read fails as a conflict.
    const reply = (await this.#redis.eval(
      COMMIT,
      3,
      k.lease,
      k.head,
      k.commits,
      lease.token,
      Date.now(),
      change.expectedVersion,
      JSON.stringify(encodeBytes(change)),
      JSON.stringify(sizes),
      python?.backend ?? '',
      python?.engineVersion ?? '',
    )) as number[]
    if (reply[0] === -1) throw lost(lease)
    if (reply[0] === -2) {
      throw new SessionConflictError({
        sessionId: id,
        expectedVersion: change.expectedVersion,
        actualVersion: Number(reply[1]),
      })
    }
    return Number(reply[0])
  }

  async delete(lease: SessionLease): Promise<void> {
    const k = this.#keys(lease.sessionId)
    const reply = Number(
      await this.#redis.eval(DELETE, 3, k.lease, k.head, k.commits, lease.token, Date.now()),
    )
    if (reply < 0) throw lost(lease)
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.#redis.quit()
  }

  #keys(id: string): { lease: string; head: string; commits: string } {
    if (typeof id !== 'string' || id === '')
      throw new InvalidArgumentError('id', 'A session id is a non-empty string.')
    // The id in braces is a Redis Cluster hash tag: a session's keys live on one node.
    const base = `${this.#prefix}{${encodeURIComponent(id)}}`
    return { lease: `${base}:lease`, head: `${base}:head`, commits: `${base}:commits` }
  }
}

function lost(lease: SessionLease): SessionBusyError {
  return new SessionBusyError({
    sessionId: lease.sessionId,
    message: `The lease of owner '${lease.ownerId}' on session '${lease.sessionId}' is no longer current (expired, released or taken over); nothing was changed.`,
  })
}

function nextSizes(sizes: Record<string, number>, change: SessionCommit): Record<string, number> {
  const sizesOf = (files: Readonly<Record<string, Uint8Array>>) =>
    Object.fromEntries(Object.entries(files).map(([path, bytes]) => [path, bytes.byteLength]))
  if (change.workspace?.kind === 'snapshot') return sizesOf(change.workspace.files)
  const next = { ...sizes }
  if (change.workspace?.kind === 'delta') {
    for (const path of change.workspace.removed) delete next[path]
    Object.assign(next, sizesOf(change.workspace.written))
  }
  return next
}
