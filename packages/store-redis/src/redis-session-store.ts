/**
 * A `SessionStore` (core contract v1) on Redis through `ioredis`, keeping each session's current
 * state (layout 2, see `redis-scripts.ts`): a hash for the record, a list for the messages, a list
 * for the Python deltas since the snapshot, a hash of workspace files and a hash of extensions.
 * A commit reads the record's head and the sizes of the paths it touches (`HSTRLEN`), checks it
 * (`checkSessionCommit`), then one Lua script compares the lease and the version and writes only
 * what changed. `load` reads every key in one `MULTI`, so it sees one commit whole.
 */
import {
  type AcquireLeaseOptions,
  checkSessionCommit,
  DEFAULT_MAX_WORKSPACE_BYTES,
  InvalidArgumentError,
  type PythonStateDelta,
  randomLeaseToken,
  refuseUnknownKeys,
  SESSION_STORE_CONTRACT_VERSION,
  SessionBusyError,
  type SessionCommit,
  SessionConflictError,
  type SessionLease,
  type SessionRecord,
  type SessionStore,
  StateFormatError,
  touchedWorkspacePaths,
  waitForLease,
} from '@pyflue/core'
import { Redis } from 'ioredis'
import { decodeBytes, encodeBytes } from './json-bytes.js'
import { ACQUIRE, COMMIT, DELETE, LAYOUT, RELEASE, RENEW } from './redis-scripts.js'

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
    const replies = await this.#redis
      .multi()
      .hgetallBuffer(k.rec)
      .lrange(k.msgs, 0, -1)
      .lrange(k.pyd, 0, -1)
      .hgetallBuffer(k.files)
      .hgetall(k.ext)
      .exists(k.oldHead)
      .exec()
    const [rec, msgs, pyd, files, ext, old] = (replies ?? []).map(([error, value]) => {
      if (error) throw error
      return value
    }) as [Record<string, Buffer>, string[], string[], Record<string, Buffer>, Record<string, string>, number]
    const version = Number(rec.version?.toString() ?? 0)
    if (version === 0) {
      if (old) throw layoutOne(id)
      return undefined
    }
    const text = (field: string) => rec[field]?.toString('utf8')
    const workspace: Record<string, Uint8Array> = {}
    for (const [path, bytes] of Object.entries(files)) workspace[path] = new Uint8Array(bytes)
    const backend = text('pyBackend')
    const provider = text('sbProvider')
    const sandboxId = text('sbId')
    return {
      sessionId: id,
      version,
      messages: msgs.map((m) => decodeBytes(JSON.parse(m))),
      ...(backend !== undefined
        ? {
            python: {
              backend,
              engineVersion: text('pyEngine') ?? '',
              ...(rec.pySnapshot ? { snapshot: new Uint8Array(rec.pySnapshot) } : {}),
              deltas: pyd.map((d) => decodeBytes(JSON.parse(d)) as PythonStateDelta),
            },
          }
        : {}),
      workspace,
      ...(provider !== undefined && sandboxId !== undefined ? { sandbox: { provider, sandboxId } } : {}),
      extensions: Object.fromEntries(
        Object.entries(ext).map(([name, json]) => [name, decodeBytes(JSON.parse(json))]),
      ),
      updatedAt: text('updatedAt') ?? new Date(0).toISOString(),
    }
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
    const touched = touchedWorkspacePaths(change)
    const id = lease.sessionId
    const k = this.#keys(id)
    const sizePaths = touched.replacesAll ? [] : touched.paths
    const read = this.#redis
      .multi()
      .hmget(k.rec, 'version', 'pyBackend', 'pyEngine', 'wsBytes')
      .exists(k.oldHead)
    for (const path of sizePaths) read.hstrlen(k.files, path)
    const replies = ((await read.exec()) ?? []).map(([error, value]) => {
      if (error) throw error
      return value
    })
    const [version, pyBackend, pyEngine, wsBytes] = replies[0] as (string | null)[]
    if (version === null && replies[1]) throw layoutOne(id)
    const storedSizes: Record<string, number> = {}
    for (const [i, path] of sizePaths.entries()) {
      const size = Number(replies[i + 2])
      if (size > 0) storedSizes[path] = size
    }
    const next = checkSessionCommit(
      id,
      {
        version: Number(version ?? 0),
        ...(pyBackend ? { python: { backend: pyBackend, engineVersion: pyEngine ?? '' } } : {}),
        workspaceBytes: Number(wsBytes ?? 0),
      },
      change,
      { maxWorkspaceBytes: this.#maxWorkspaceBytes, storedSizes },
    )
    const messages = (change.appendMessages ?? []).map((m) => JSON.stringify(encodeBytes(m)))
    const python = change.python
    const workspace = change.workspace
    const removed = workspace?.kind === 'delta' ? workspace.removed : []
    const written = Object.entries(
      workspace?.kind === 'snapshot' ? workspace.files : workspace?.kind === 'delta' ? workspace.written : {},
    )
    const extensions = Object.entries(change.extensions ?? {})
    const extSet = extensions.filter(([, value]) => value !== null)
    const extDel = extensions.filter(([, value]) => value === null).map(([name]) => name)
    const args: (string | number | Buffer)[] = [
      lease.token,
      Date.now(),
      change.expectedVersion,
      next.workspaceBytes,
      new Date().toISOString(),
      python?.kind ?? '',
      python?.backend ?? '',
      python?.engineVersion ?? '',
      python?.kind === 'snapshot'
        ? buffer(python.state)
        : python
          ? JSON.stringify(encodeBytes({ changed: python.changed, removed: python.removed }))
          : '',
      change.sandbox === undefined ? '' : change.sandbox === null ? 'clear' : 'set',
      change.sandbox?.provider ?? '',
      change.sandbox?.sandboxId ?? '',
      workspace?.kind ?? '',
      messages.length,
      removed.length,
      written.length,
      extSet.length,
      extDel.length,
      ...messages,
      ...removed,
      ...written.flatMap(([path, bytes]) => [path, buffer(bytes)]),
      ...extSet.flatMap(([name, value]) => [name, JSON.stringify(encodeBytes(value))]),
      ...extDel,
    ]
    const reply = (await this.#redis.eval(
      COMMIT,
      6,
      k.lease,
      k.rec,
      k.msgs,
      k.pyd,
      k.files,
      k.ext,
      ...args,
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
      await this.#redis.eval(
        DELETE,
        6,
        k.lease,
        k.rec,
        k.msgs,
        k.pyd,
        k.files,
        k.ext,
        lease.token,
        Date.now(),
      ),
    )
    if (reply < 0) throw lost(lease)
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.#redis.quit()
  }

  #keys(id: string): Keys {
    if (typeof id !== 'string' || id === '')
      throw new InvalidArgumentError('id', 'A session id is a non-empty string.')
    // The id in braces is a Redis Cluster hash tag: a session's keys live on one node.
    const base = `${this.#prefix}{${encodeURIComponent(id)}}`
    return {
      lease: `${base}:lease`,
      rec: `${base}:rec`,
      msgs: `${base}:msgs`,
      pyd: `${base}:pyd`,
      files: `${base}:files`,
      ext: `${base}:ext`,
      oldHead: `${base}:head`,
    }
  }
}

interface Keys {
  lease: string
  rec: string
  msgs: string
  pyd: string
  files: string
  ext: string
  /** The head hash of layout 1, only looked at to refuse it. */
  oldHead: string
}

/** A Buffer view of `bytes` (what ioredis sends as a binary argument), without copying. */
function buffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function layoutOne(id: string): StateFormatError {
  return new StateFormatError(
    'version',
    `Session '${id}' is stored in layout 1 (a commit list, written before @pyflue/store-redis kept current state); this version reads layout ${LAYOUT} and does not migrate it. Delete the session's keys (its id in braces, suffixes :head and :commits) to start it again, or pass another keyPrefix.`,
  )
}

function lost(lease: SessionLease): SessionBusyError {
  return new SessionBusyError({
    sessionId: lease.sessionId,
    message: `The lease of owner '${lease.ownerId}' on session '${lease.sessionId}' is no longer current (expired, released or taken over); nothing was changed.`,
  })
}
