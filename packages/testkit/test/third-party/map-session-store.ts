/**
 * A third party's session store, written only against @pyflue/core's public types (no helpers,
 * no classes imported at run time): errors are duck-typed `{ name, code }` objects, as the
 * contract allows. The testkit suite runs on it to prove a stranger can meet the contract.
 */
import type {
  AcquireLeaseOptions,
  SessionCommit,
  SessionLease,
  SessionRecord,
  SessionStore,
} from '@pyflue/core'

type Held = { ownerId: string; token: string; ttlMs: number; expiresAt: number }

function fail(name: string, code: string, message: string, extra: object = {}): never {
  throw Object.assign(new Error(message), { name, code }, extra)
}

export class MapSessionStore implements SessionStore {
  readonly contractVersion = 1 as const
  readonly #records = new Map<string, SessionRecord>()
  readonly #leases = new Map<string, Held>()
  #next = 0

  async load(id: string): Promise<SessionRecord | undefined> {
    const record = this.#records.get(id)
    return record ? structuredClone(record) : undefined
  }

  async acquire(id: string, options: AcquireLeaseOptions): Promise<SessionLease> {
    const known = ['ownerId', 'ttlMs', 'waitMs', 'signal']
    if (!options.ownerId || !(options.ttlMs > 0) || Object.keys(options).some((k) => !known.includes(k))) {
      fail('InvalidArgumentError', 'INVALID_ARGUMENT', 'bad acquire options', { argument: 'options' })
    }
    const deadline = Date.now() + (options.waitMs ?? 0)
    for (;;) {
      const held = this.#leases.get(id)
      if (!held || held.expiresAt <= Date.now()) break
      if (Date.now() >= deadline) {
        fail('SessionBusyError', 'SESSION_BUSY', `busy: ${id}`, {
          ownerId: held.ownerId,
          expiresAt: held.expiresAt,
        })
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    const held = {
      ownerId: options.ownerId,
      token: `t${++this.#next}`,
      ttlMs: options.ttlMs,
      expiresAt: Date.now() + options.ttlMs,
    }
    this.#leases.set(id, held)
    return { sessionId: id, ownerId: held.ownerId, token: held.token, expiresAt: held.expiresAt }
  }

  #current(lease: SessionLease): Held {
    const held = this.#leases.get(lease.sessionId)
    if (!held || held.token !== lease.token || held.expiresAt <= Date.now()) {
      fail('SessionBusyError', 'SESSION_BUSY', `lease lost: ${lease.sessionId}`)
    }
    return held
  }

  async renew(lease: SessionLease, ttlMs?: number): Promise<SessionLease> {
    const held = this.#current(lease)
    held.expiresAt = Date.now() + (ttlMs ?? held.ttlMs)
    return { ...lease, expiresAt: held.expiresAt }
  }

  async release(lease: SessionLease): Promise<void> {
    if (this.#leases.get(lease.sessionId)?.token === lease.token) this.#leases.delete(lease.sessionId)
  }

  async commit(lease: SessionLease, change: SessionCommit): Promise<number> {
    this.#current(lease)
    const keys = ['expectedVersion', 'appendMessages', 'python', 'workspace', 'sandbox', 'extensions']
    const paths =
      change.workspace?.kind === 'snapshot'
        ? Object.keys(change.workspace.files)
        : [...(change.workspace?.removed ?? []), ...Object.keys(change.workspace?.written ?? {})]
    if (Object.keys(change).some((k) => !keys.includes(k)) || paths.some((p) => !p.startsWith('/'))) {
      fail('InvalidArgumentError', 'INVALID_ARGUMENT', 'malformed commit', { argument: 'commit' })
    }
    const id = lease.sessionId
    const old = this.#records.get(id)
    const version = old?.version ?? 0
    if (change.expectedVersion !== version) {
      fail('SessionConflictError', 'SESSION_CONFLICT', 'stale', {
        expectedVersion: change.expectedVersion,
        actualVersion: version,
      })
    }
    const c = structuredClone(change)
    let python = old?.python
    if (c.python?.kind === 'snapshot') {
      python = {
        backend: c.python.backend,
        engineVersion: c.python.engineVersion,
        snapshot: c.python.state,
        deltas: [],
      }
    } else if (c.python) {
      if (!python || python.backend !== c.python.backend || python.engineVersion !== c.python.engineVersion) {
        fail('StateFormatError', 'STATE_FORMAT', 'delta does not match the stored state', {
          reason: 'version',
        })
      }
      python = {
        ...python,
        deltas: [...python.deltas, { changed: c.python.changed, removed: c.python.removed }],
      }
    }
    let workspace = { ...(old?.workspace ?? {}) }
    if (c.workspace?.kind === 'snapshot') workspace = { ...c.workspace.files }
    else if (c.workspace) {
      for (const path of c.workspace.removed) delete workspace[path]
      Object.assign(workspace, c.workspace.written)
    }
    const extensions = { ...(old?.extensions ?? {}) } as Record<string, unknown>
    for (const [k, v] of Object.entries(c.extensions ?? {})) {
      if (v === null) delete extensions[k]
      else extensions[k] = v
    }
    const sandbox = c.sandbox === undefined ? old?.sandbox : (c.sandbox ?? undefined)
    this.#records.set(id, {
      sessionId: id,
      version: version + 1,
      messages: [...(old?.messages ?? []), ...(c.appendMessages ?? [])],
      ...(python ? { python } : {}),
      workspace,
      ...(sandbox ? { sandbox } : {}),
      extensions,
      updatedAt: new Date().toISOString(),
    })
    return version + 1
  }

  async delete(lease: SessionLease): Promise<void> {
    this.#current(lease)
    this.#records.delete(lease.sessionId)
    this.#leases.delete(lease.sessionId)
  }

  async close(): Promise<void> {}
}
