/**
 * A `SessionStore` (core contract v1) on PostgreSQL through `pg`, keeping each session's current
 * state (schema 2, see `schema.ts`): one `<prefix>sessions` row (version, lease, Python snapshot,
 * sandbox, extensions), appended `<prefix>messages` and `<prefix>python_deltas` rows, and one
 * `<prefix>workspace_files` row per file. A commit is one transaction that locks the session row,
 * checks the lease and compares the version (`checkSessionCommit`, reading only the sizes of the
 * paths it touches), then writes only what it changed. `load` is one statement, so it sees one
 * commit whole.
 */
import {
  type AcquireLeaseOptions,
  checkSessionCommit,
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
  touchedWorkspacePaths,
  waitForLease,
} from '@pyflue/core'
import pg from 'pg'
import { decodeBytes, encodeBytes } from './json-bytes.js'
import { refuseOtherSchema, schemaStatements } from './schema.js'

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
    const p = this.#prefix
    // One statement reads one snapshot of the database: a reader never sees part of a commit.
    const { rows } = await this.#pool.query<LoadedRow>(
      `SELECT s.version, s.python_backend, s.python_engine_version, s.python_snapshot,
         s.sandbox_provider, s.sandbox_id, s.extensions, s.updated_at,
         (SELECT coalesce(json_agg(m.body ORDER BY m.seq), '[]'::json) FROM ${p}messages m WHERE m.id = s.id) AS messages,
         (SELECT coalesce(json_agg(json_build_array(d.changed, d.removed) ORDER BY d.seq), '[]'::json)
            FROM ${p}python_deltas d WHERE d.id = s.id) AS deltas,
         (SELECT array_agg(f.path ORDER BY f.path) FROM ${p}workspace_files f WHERE f.id = s.id) AS paths,
         (SELECT array_agg(f.content ORDER BY f.path) FROM ${p}workspace_files f WHERE f.id = s.id) AS contents
       FROM ${p}sessions s WHERE s.id = $1 AND s.version > 0`,
      [id],
    )
    const row = rows[0]
    if (!row) return undefined
    const workspace: Record<string, Uint8Array> = {}
    for (const [i, path] of (row.paths ?? []).entries()) workspace[path] = copy(row.contents?.[i])
    return {
      sessionId: id,
      version: row.version,
      messages: decodeBytes(row.messages) as unknown[],
      ...(row.python_backend !== null
        ? {
            python: {
              backend: row.python_backend,
              engineVersion: row.python_engine_version ?? '',
              ...(row.python_snapshot ? { snapshot: copy(row.python_snapshot) } : {}),
              deltas: row.deltas.map(([changed, removed]) => ({
                changed: decodeBytes(changed) as Record<string, Uint8Array>,
                removed,
              })),
            },
          }
        : {}),
      workspace,
      ...(row.sandbox_provider !== null && row.sandbox_id !== null
        ? { sandbox: { provider: row.sandbox_provider, sandboxId: row.sandbox_id } }
        : {}),
      extensions: decodeBytes(row.extensions) as Record<string, unknown>,
      updatedAt: new Date(row.updated_at ?? 0).toISOString(),
    }
  }

  async acquire(id: string, options: AcquireLeaseOptions): Promise<SessionLease> {
    return waitForLease(id, options, async () => {
      await this.#schema()
      const now = Date.now()
      const token = randomLeaseToken()
      const { rows } = await this.#pool.query(
        `INSERT INTO ${this.#prefix}sessions AS s (id, lease_owner, lease_token, lease_ttl_ms, lease_expires_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET lease_owner = EXCLUDED.lease_owner, lease_token = EXCLUDED.lease_token,
           lease_ttl_ms = EXCLUDED.lease_ttl_ms, lease_expires_at = EXCLUDED.lease_expires_at
         WHERE s.lease_expires_at IS NULL OR s.lease_expires_at <= $6
         RETURNING 1`,
        [id, options.ownerId, token, options.ttlMs, now + options.ttlMs, now],
      )
      if (rows.length === 0) {
        const held = await this.#pool.query<{ lease_owner: string | null; lease_expires_at: string | null }>(
          `SELECT lease_owner, lease_expires_at FROM ${this.#prefix}sessions WHERE id = $1`,
          [id],
        )
        const row = held.rows[0]
        throw new SessionBusyError({
          sessionId: id,
          ...(row?.lease_owner ? { ownerId: row.lease_owner, expiresAt: Number(row.lease_expires_at) } : {}),
        })
      }
      return { sessionId: id, ownerId: options.ownerId, token, expiresAt: now + options.ttlMs }
    })
  }

  async renew(lease: SessionLease, ttlMs?: number): Promise<SessionLease> {
    await this.#schema()
    const now = Date.now()
    const { rows } = await this.#pool.query<{ lease_expires_at: string }>(
      `UPDATE ${this.#prefix}sessions SET lease_expires_at = $3 + COALESCE($4, lease_ttl_ms)
       WHERE id = $1 AND lease_token = $2 AND lease_expires_at > $3 RETURNING lease_expires_at`,
      [lease.sessionId, lease.token, now, ttlMs ?? null],
    )
    if (rows.length === 0) throw lost(lease)
    return { ...lease, expiresAt: Number(rows[0]?.lease_expires_at) }
  }

  async release(lease: SessionLease): Promise<void> {
    await this.#schema()
    // A session leased but never committed leaves no row behind.
    await this.#pool.query(
      `WITH gone AS (DELETE FROM ${this.#prefix}sessions WHERE id = $1 AND lease_token = $2 AND version = 0)
       UPDATE ${this.#prefix}sessions SET lease_owner = NULL, lease_token = NULL, lease_ttl_ms = NULL,
         lease_expires_at = NULL WHERE id = $1 AND lease_token = $2 AND version > 0`,
      [lease.sessionId, lease.token],
    )
  }

  async commit(lease: SessionLease, change: SessionCommit): Promise<number> {
    const touched = touchedWorkspacePaths(change)
    await this.#schema()
    const id = lease.sessionId
    const p = this.#prefix
    return this.#transaction(async (client) => {
      const { rows } = await client.query<HeadRow>(
        `SELECT version, message_count, delta_count, workspace_bytes, python_backend, python_engine_version,
           lease_token, lease_expires_at FROM ${p}sessions WHERE id = $1 FOR UPDATE`,
        [id],
      )
      const row = rows[0]
      if (!row || row.lease_token !== lease.token || Number(row.lease_expires_at) <= Date.now())
        throw lost(lease)
      const storedSizes: Record<string, number> = {}
      if (!touched.replacesAll && touched.paths.length > 0) {
        const sizes = await client.query<{ path: string; size: number }>(
          `SELECT path, size FROM ${p}workspace_files WHERE id = $1 AND path = ANY($2::text[])`,
          [id, touched.paths],
        )
        for (const { path, size } of sizes.rows) storedSizes[path] = size
      }
      const head = {
        version: row.version,
        ...(row.python_backend !== null
          ? { python: { backend: row.python_backend, engineVersion: row.python_engine_version ?? '' } }
          : {}),
        workspaceBytes: Number(row.workspace_bytes),
      }
      const next = checkSessionCommit(id, head, change, {
        maxWorkspaceBytes: this.#maxWorkspaceBytes,
        storedSizes,
      })
      const messages = change.appendMessages ?? []
      if (messages.length > 0) {
        await client.query(
          `INSERT INTO ${p}messages (id, seq, body)
           SELECT $1, $2 + t.o, t.e FROM json_array_elements($3::json) WITH ORDINALITY AS t(e, o)`,
          [id, row.message_count, JSON.stringify(encodeBytes(messages))],
        )
      }
      let deltaCount = row.delta_count
      const sets: string[] = []
      const values: unknown[] = []
      const set = (column: string, value: unknown) => {
        values.push(value)
        sets.push(`${column} = $${values.length + 2}`)
      }
      if (change.python?.kind === 'snapshot') {
        await client.query(`DELETE FROM ${p}python_deltas WHERE id = $1`, [id])
        deltaCount = 0
        set('python_backend', change.python.backend)
        set('python_engine_version', change.python.engineVersion)
        set('python_snapshot', buffer(change.python.state))
      } else if (change.python) {
        deltaCount += 1
        await client.query(
          `INSERT INTO ${p}python_deltas (id, seq, changed, removed) VALUES ($1, $2, $3, $4)`,
          [
            id,
            deltaCount,
            JSON.stringify(encodeBytes(change.python.changed)),
            JSON.stringify(change.python.removed),
          ],
        )
      }
      if (change.workspace) await writeWorkspace(client, p, id, change.workspace)
      if (change.sandbox !== undefined) {
        set('sandbox_provider', change.sandbox?.provider ?? null)
        set('sandbox_id', change.sandbox?.sandboxId ?? null)
      }
      const extensions = Object.entries(change.extensions ?? {})
      if (extensions.length > 0) {
        const put = Object.fromEntries(extensions.filter(([, value]) => value !== null))
        values.push(
          JSON.stringify(encodeBytes(put)),
          extensions.filter(([, v]) => v === null).map(([k]) => k),
        )
        sets.push(`extensions = (extensions || $${values.length + 1}::jsonb) - $${values.length + 2}::text[]`)
      }
      set('message_count', row.message_count + messages.length)
      set('delta_count', deltaCount)
      set('workspace_bytes', next.workspaceBytes)
      set('updated_at', new Date().toISOString())
      set('version', next.version)
      // Compare-and-set on the version, in the transaction that holds the row.
      const updated = await client.query(
        `UPDATE ${p}sessions SET ${sets.join(', ')} WHERE id = $1 AND version = $2`,
        [id, change.expectedVersion, ...values],
      )
      if (updated.rowCount !== 1) {
        throw new SessionConflictError({
          sessionId: id,
          expectedVersion: change.expectedVersion,
          actualVersion: row.version,
        })
      }
      return next.version
    })
  }

  async delete(lease: SessionLease): Promise<void> {
    await this.#schema()
    await this.#transaction(async (client) => {
      const { rows } = await client.query(
        `SELECT 1 FROM ${this.#prefix}sessions WHERE id = $1 AND lease_token = $2 AND lease_expires_at > $3 FOR UPDATE`,
        [lease.sessionId, lease.token, Date.now()],
      )
      if (rows.length === 0) throw lost(lease)
      for (const table of ['messages', 'python_deltas', 'workspace_files', 'sessions']) {
        await client.query(`DELETE FROM ${this.#prefix}${table} WHERE id = $1`, [lease.sessionId])
      }
    })
  }

  async close(): Promise<void> {
    if (this.#ownsPool) await this.#pool.end()
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
        const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
          `${this.#prefix}schema`,
        ])
        if (exists.rows[0]?.t) {
          const recorded = await client.query<{ version: number }>(
            `SELECT version FROM ${this.#prefix}schema`,
          )
          refuseOtherSchema(
            this.#prefix,
            recorded.rows.map((r) => r.version),
          )
        }
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

interface HeadRow {
  version: number
  message_count: number
  delta_count: number
  workspace_bytes: string
  python_backend: string | null
  python_engine_version: string | null
  lease_token: string | null
  lease_expires_at: string | null
}

interface LoadedRow {
  version: number
  python_backend: string | null
  python_engine_version: string | null
  python_snapshot: Buffer | null
  sandbox_provider: string | null
  sandbox_id: string | null
  extensions: unknown
  updated_at: Date | null
  messages: unknown
  deltas: [unknown, string[]][]
  paths: string[] | null
  contents: Buffer[] | null
}

async function writeWorkspace(
  client: Client,
  p: string,
  id: string,
  workspace: NonNullable<SessionCommit['workspace']>,
): Promise<void> {
  const written = workspace.kind === 'snapshot' ? workspace.files : workspace.written
  if (workspace.kind === 'snapshot') await client.query(`DELETE FROM ${p}workspace_files WHERE id = $1`, [id])
  else if (workspace.removed.length > 0) {
    await client.query(`DELETE FROM ${p}workspace_files WHERE id = $1 AND path = ANY($2::text[])`, [
      id,
      workspace.removed,
    ])
  }
  const entries = Object.entries(written)
  if (entries.length === 0) return
  await client.query(
    `INSERT INTO ${p}workspace_files (id, path, size, content)
     SELECT $1, t.path, t.size, t.content FROM unnest($2::text[], $3::integer[], $4::bytea[]) AS t(path, size, content)
     ON CONFLICT (id, path) DO UPDATE SET size = EXCLUDED.size, content = EXCLUDED.content`,
    [
      id,
      entries.map(([path]) => path),
      entries.map(([, b]) => b.byteLength),
      entries.map(([, b]) => buffer(b)),
    ],
  )
}

/** A Buffer view of `bytes` (what `pg` sends as bytea), without copying. */
function buffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** A fresh Uint8Array of a Buffer `pg` returned, so the caller shares nothing with the driver. */
function copy(bytes: Buffer | undefined): Uint8Array {
  return bytes ? new Uint8Array(bytes) : new Uint8Array()
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
