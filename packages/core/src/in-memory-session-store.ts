/**
 * The default session store: records and leases live in this process's memory and die with it.
 * Meets the whole `SessionStore` contract, so it is also the reference the testkit suite runs on.
 * Each session is kept as mutable current state (messages and deltas pushed, files set per path),
 * so a commit costs what it changes; `load` copies the whole record out.
 */

import { checkSessionCommit, touchedWorkspacePaths } from './check-session-commit.js'
import { InvalidArgumentError } from './errors/pyflue-error.js'
import { SessionBusyError } from './errors/session-errors.js'
import { refuseUnknownKeys } from './option-keys.js'
import { randomLeaseToken, waitForLease } from './session-lease.js'
import {
  type AcquireLeaseOptions,
  DEFAULT_MAX_WORKSPACE_BYTES,
  type PythonStateDelta,
  SESSION_STORE_CONTRACT_VERSION,
  type SessionCommit,
  type SessionLease,
  type SessionRecord,
  type SessionStore,
  type StoredSandbox,
} from './session-store.js'

export interface InMemorySessionStoreOptions {
  /** The workspace bound in bytes of file contents. Default `DEFAULT_MAX_WORKSPACE_BYTES`. */
  maxWorkspaceBytes?: number
}

/** One session's committed state, changed in place by each commit. */
interface Stored {
  version: number
  messages: unknown[]
  python?: { backend: string; engineVersion: string; snapshot: Uint8Array; deltas: PythonStateDelta[] }
  workspace: Map<string, Uint8Array>
  workspaceBytes: number
  sandbox?: StoredSandbox
  extensions: Map<string, unknown>
  updatedAt: string
}

interface HeldLease {
  ownerId: string
  token: string
  ttlMs: number
  expiresAt: number
}

export class InMemorySessionStore implements SessionStore {
  readonly contractVersion = SESSION_STORE_CONTRACT_VERSION
  readonly #records = new Map<string, Stored>()
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
    const stored = this.#records.get(id)
    if (!stored) return undefined
    const workspace: Record<string, Uint8Array> = {}
    for (const [path, bytes] of stored.workspace) workspace[path] = new Uint8Array(bytes)
    return {
      sessionId: id,
      version: stored.version,
      messages: structuredClone(stored.messages),
      ...(stored.python
        ? {
            python: {
              backend: stored.python.backend,
              engineVersion: stored.python.engineVersion,
              snapshot: new Uint8Array(stored.python.snapshot),
              deltas: stored.python.deltas.map(copyDelta),
            },
          }
        : {}),
      workspace,
      ...(stored.sandbox ? { sandbox: { ...stored.sandbox } } : {}),
      extensions: structuredClone(Object.fromEntries(stored.extensions)),
      updatedAt: stored.updatedAt,
    }
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
    const touched = touchedWorkspacePaths(change)
    const stored = this.#records.get(lease.sessionId)
    const storedSizes: Record<string, number> = {}
    for (const path of touched.replacesAll ? [] : touched.paths) {
      const bytes = stored?.workspace.get(path)
      if (bytes) storedSizes[path] = bytes.byteLength
    }
    const checked = checkSessionCommit(lease.sessionId, stored, change, {
      maxWorkspaceBytes: this.#maxWorkspaceBytes,
      storedSizes,
    })
    // Everything below copies what it keeps and cannot fail: the commit is whole or not at all.
    const messages = structuredClone(change.appendMessages ?? [])
    const extensions = structuredClone(change.extensions ?? {})
    const next: Stored = stored ?? {
      version: 0,
      messages: [],
      workspace: new Map(),
      workspaceBytes: 0,
      extensions: new Map(),
      updatedAt: '',
    }
    for (const message of messages) next.messages.push(message)
    const python = change.python
    if (python?.kind === 'snapshot') {
      next.python = {
        backend: python.backend,
        engineVersion: python.engineVersion,
        snapshot: new Uint8Array(python.state),
        deltas: [],
      }
    } else if (python && next.python) next.python.deltas.push(copyDelta(python))
    const workspace = change.workspace
    if (workspace?.kind === 'snapshot') next.workspace = copyFiles(workspace.files)
    else if (workspace) {
      for (const path of workspace.removed) next.workspace.delete(path)
      for (const [path, bytes] of copyFiles(workspace.written)) next.workspace.set(path, bytes)
    }
    if (change.sandbox === null) delete next.sandbox
    else if (change.sandbox)
      next.sandbox = { provider: change.sandbox.provider, sandboxId: change.sandbox.sandboxId }
    for (const [name, value] of Object.entries(extensions)) {
      if (value === null) next.extensions.delete(name)
      else next.extensions.set(name, value)
    }
    next.version = checked.version
    next.workspaceBytes = checked.workspaceBytes
    next.updatedAt = new Date().toISOString()
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

function copyFiles(files: Readonly<Record<string, Uint8Array>>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>()
  for (const [path, bytes] of Object.entries(files)) out.set(path, new Uint8Array(bytes))
  return out
}

function copyDelta(delta: PythonStateDelta): PythonStateDelta {
  const changed: Record<string, Uint8Array> = {}
  for (const [name, bytes] of Object.entries(delta.changed)) changed[name] = new Uint8Array(bytes)
  return { changed, removed: [...delta.removed] }
}
