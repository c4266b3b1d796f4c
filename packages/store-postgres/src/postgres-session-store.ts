/**
 * A `SessionStore` (core contract v1) on PostgreSQL through `pg`. A commit is one transaction:
 * it locks the lease row, compares the version and appends one row to `<prefix>commits`, so a save
 * writes only what it changed. `load` replays the commits in order.
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
import pg from 'pg'
import { decodeBytes, encodeBytes } from './json-bytes.js'
import { schemaStatements } from './schema.js'

export interface PostgresSessionStoreOptions {
  /** A connection string, e.g. `postgres://user:pw@127.0.0.1:5432/app`. The store opens and closes its pool. */
  connectionString?: string
  /** An existing pool the store uses and never closes. */
  pool?: pg.Pool
  /** Prefix of the table names; letters, digits and `_`. Default `'pyflue_'`. */
  tablePrefix?: string
  /** The workspace bound in bytes of file contents. Default `DEFAULT_MAX_WORKSPACE_BYTES` (64 MiB). */
  maxWorkspaceBytes?: number
}

type Client = pg.PoolClient

export class PostgresSessionStore implements SessionStore {
  readonly contractVersion = SESSION_STORE_CONTRACT_VERSION
  readonly #pool: pg.Pool
  readonly #ownsPool: boolean
  readonly #prefix: string
  readonly #maxWorkspaceBytes: number
  #ready: Promise<void> | undefined

  constructor(options: PostgresSessionStoreOptions) {
    refuseUnknownKeys(
      options,
      ['connectionString', 'pool', 'tablePrefix', 'maxWorkspaceBytes'],
      'PostgresSessionStore options',
    )
    if ((options.connectionString === undefined) === (options.pool === undefined)) {
      throw new InvalidArgumentError(
        'connectionString',
        'PostgresSessionStore needs exactly one of connectionString or pool.',
      )
    }
    const prefix = options.tablePrefix ?? 'pyflue_'
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(prefix)) {
      throw new InvalidArgumentError(
        'tablePrefix',
        'tablePrefix is letters, digits and _, starting with a letter or _.',
      )
    }
    this.#prefix = prefix
    this.#ownsPool = options.pool === undefined
    this.#pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString })
    this.#maxWorkspaceBytes = options.maxWorkspaceBytes ?? DEFAULT_MAX_WORKSPACE_BYTES
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    checkId(id)
    await this.#schema()
    const { rows } = await this.#pool.query<{ version: number; body: unknown }>(
      `SELECT c.version, c.body FROM ${this.#prefix}commits c JOIN ${this.#prefix}sessions s ON s.id = c.id
       WHERE c.id = $1 AND c.version <= s.version ORDER BY c.version`,
      [id],
    )
    let record: SessionRecord | undefined
    for (const row of rows) {
      record = applySessionCommit(id, record, decodeBytes(row.body) as SessionCommit, {
        maxWorkspaceBytes: Number.POSITIVE_INFINITY,
      })
    }
    return record
  }

  async acquire(id: string, options: AcquireLeaseOptions): Promise<SessionLease> {
    return waitForLease(id, options, async () => {
      await this.#schema()
      const now = Date.now()
      const token = randomLeaseToken()
      const { rows } = await this.#pool.query<{ token: string; owner_id: string; expires_at: string }>(
        `INSERT INTO ${this.#prefix}leases (id, owner_id, token, ttl_ms, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET owner_id = EXCLUDED.owner_id, token = EXCLUDED.token,
           ttl_ms = EXCLUDED.ttl_ms, expires_at = EXCLUDED.expires_at
         WHERE ${this.#prefix}leases.expires_at <= $6
         RETURNING token`,
        [id, options.ownerId, token, options.ttlMs, now + options.ttlMs, now],
      )
      if (rows.length === 0) {
        const held = await this.#pool.query<{ owner_id: string; expires_at: string }>(
          `SELECT owner_id, expires_at FROM ${this.#prefix}leases WHERE id = $1`,
          [id],
        )
        const row = held.rows[0]
        throw new SessionBusyError({
          sessionId: id,
          ...(row ? { ownerId: row.owner_id, expiresAt: Number(row.expires_at) } : {}),
        })
      }
      return { sessionId: id, ownerId: options.ownerId, token, expiresAt: now + options.ttlMs }
    })
  }

  async renew(lease: SessionLease, ttlMs?: number): Promise<SessionLease> {
    await this.#schema()
    const now = Date.now()
    const { rows } = await this.#pool.query<{ expires_at: string }>(
      `UPDATE ${this.#prefix}leases SET expires_at = $3 + COALESCE($4, ttl_ms)
       WHERE id = $1 AND token = $2 AND expires_at > $3 RETURNING expires_at`,
      [lease.sessionId, lease.token, now, ttlMs ?? null],
    )
    if (rows.length === 0) throw lost(lease)
    return { ...lease, expiresAt: Number(rows[0]?.expires_at) }
  }

  async release(lease: SessionLease): Promise<void> {
    await this.#schema()
    await this.#pool.query(`DELETE FROM ${this.#prefix}leases WHERE id = $1 AND token = $2`, [
      lease.sessionId,
      lease.token,
    ])
  }

  async commit(lease: SessionLease, change: SessionCommit): Promise<number> {
    await this.#schema()
    const id = lease.sessionId
    return this.#transaction(async (client) => {
      await this.#lockCurrent(client, lease)
      const { rows } = await client.query<{
        version: number
        workspace_sizes: Record<string, number>
        python_backend: string | null
        python_engine_version: string | null
      }>(
        `SELECT version, workspace_sizes, python_backend, python_engine_version FROM ${this.#prefix}sessions WHERE id = $1`,
        [id],
      )
      const head = rows[0]
      const version = head?.version ?? 0
      if (change.expectedVersion !== version) {
        throw new SessionConflictError({
          sessionId: id,
          expectedVersion: change.expectedVersion,
          actualVersion: version,
        })
      }
      const sizes = nextSizes(head?.workspace_sizes ?? {}, change)
      const total = Object.values(sizes).reduce((a, b) => a + b, 0)
      if (total > this.#maxWorkspaceBytes) {
        throw new SessionTooLargeError({
          sessionId: id,
          part: 'workspace',
          limitBytes: this.#maxWorkspaceBytes,
          actualBytes: total,
        })
      }
      let python = head?.python_backend
        ? { backend: head.python_backend, engineVersion: head.python_engine_version ?? '' }
        : undefined
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
      const next = version + 1
      await client.query(
        `INSERT INTO ${this.#prefix}commits (id, version, body) VALUES ($1, $2, $3)
        ON CONFLICT (id, version) DO UPDATE SET body = EXCLUDED.body`,
        [id, next, JSON.stringify(encodeBytes(change))],
      )
      await client.query(
        `INSERT INTO ${this.#prefix}sessions (id, version, workspace_sizes, python_backend, python_engine_version, updated_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, workspace_sizes = EXCLUDED.workspace_sizes,
           python_backend = EXCLUDED.python_backend, python_engine_version = EXCLUDED.python_engine_version,
           updated_at = EXCLUDED.updated_at`,
        [id, next, JSON.stringify(sizes), python?.backend ?? null, python?.engineVersion ?? null],
      )
      return next
    })
  }

  async delete(lease: SessionLease): Promise<void> {
    await this.#schema()
    await this.#transaction(async (client) => {
      await this.#lockCurrent(client, lease)
      for (const table of ['commits', 'sessions', 'leases']) {
        await client.query(`DELETE FROM ${this.#prefix}${table} WHERE id = $1`, [lease.sessionId])
      }
    })
  }

  async close(): Promise<void> {
    if (this.#ownsPool) await this.#pool.end()
  }

  async #lockCurrent(client: Client, lease: SessionLease): Promise<void> {
    const { rows } = await client.query(
      `SELECT 1 FROM ${this.#prefix}leases WHERE id = $1 AND token = $2 AND expires_at > $3 FOR UPDATE`,
      [lease.sessionId, lease.token, Date.now()],
    )
    if (rows.length === 0) throw lost(lease)
  }

  async #transaction<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  #schema(): Promise<void> {
    this.#ready ??= (async () => {
      const client = await this.#pool.connect()
      try {
        // One creator at a time across processes: a transaction-scoped advisory lock.
        await client.query('BEGIN')
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.#prefix}schema`])
        for (const statement of schemaStatements(this.#prefix)) await client.query(statement)
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        this.#ready = undefined
        throw error
      } finally {
        client.release()
      }
    })()
    return this.#ready
  }
}

function checkId(id: string): void {
  if (typeof id !== 'string' || id === '')
    throw new InvalidArgumentError('id', 'A session id is a non-empty string.')
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
