/**
 * Lets `init({ store })` take any store of the core `SessionStore` contract (v1): it presents the
 * harness's load/save/delete over it. Loading a session leases it for this agent (another owner
 * gets `SessionBusyError`); each save renews the lease and commits only the messages added since
 * the last commit, the Python state, the workspace files written or removed since the last commit
 * and the provider sandbox when it changed, based on the last version (a stale base is a
 * `SessionConflictError`); `release(id)` ends the lease when the session closes. While a session is
 * open its lease is renewed every third of its TTL, so a long prompt keeps it; a lease lost to
 * another owner makes every later save reject with that `SessionBusyError`.
 * The Python state is committed as a snapshot, or, when the save carries `pythonDelta`, as a delta
 * appended to the stored one (`appendsPythonDeltas`); a load hands back the snapshot and the deltas
 * after it, in order (`pythonDeltas`). It is committed with the backend's `engineVersion`
 * (`'unrecorded'` when the backend states none), and a load hands a recorded one back as
 * `pythonEngineVersion`, which the agent compares with its backend's before loading the state.
 */
import {
  type SessionStore as ContractSessionStore,
  ErrorCodes,
  InvalidArgumentError,
  isPyFlueError,
  type SessionLease,
} from '@pyflue/core'
import type { ModelMessage } from 'ai'
import { SESSION_RECORD_VERSION, type SessionRecord, type SessionStore } from '../session-store.js'
import { type WorkspaceFiles, workspaceDelta } from '../session-workspace.js'

/** What a commit records as `engineVersion` when the backend states none. */
export const UNRECORDED_ENGINE_VERSION = 'unrecorded'

/** True for an engine version a load compares: one a backend stated. */
function recordedEngine(version: string): boolean {
  return version !== '' && version !== UNRECORDED_ENGINE_VERSION
}

/** How long a lease lasts between saves unless renewed. */
export const DEFAULT_LEASE_TTL_MS = 60_000

interface Held {
  lease: SessionLease
  version: number
  messageCount: number
  /** The workspace files as last committed (or loaded). */
  workspace: WorkspaceFiles
  /** The provider sandbox as last committed, `provider/id`. */
  sandboxKey: string | undefined
  /** The extensions as last committed, each as its JSON text. */
  extensions: Map<string, string>
  /** Renews the lease while the session is open, so a prompt longer than the TTL keeps it. */
  renewal: ReturnType<typeof setInterval> | undefined
  /** Why the lease was lost (taken over after expiry, store unreachable); saves then reject with it. */
  lost: unknown
}

/** True when `store` declares the core contract (has `contractVersion` 1 and `commit`). */
export function isContractSessionStore(store: unknown): store is ContractSessionStore {
  const candidate = store as { contractVersion?: unknown; commit?: unknown } | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.contractVersion === 1 &&
    typeof candidate.commit === 'function'
  )
}

/** How the sessions of a core-contract store are leased; see `init({ sessionLease })`. */
export interface SessionLeaseOptions {
  /** How long a lease lasts unless renewed, in milliseconds. Default 60000. */
  ttlMs?: number
  /** Who holds the leases. Default: this process id plus a random suffix. */
  ownerId?: string
  /** How long opening a session waits for another owner's lease to go. Default 0. */
  waitMs?: number
}

export class ContractStoreBridge implements SessionStore {
  readonly appendsPythonDeltas = true
  readonly #store: ContractSessionStore
  readonly #ownerId: string
  readonly #ttlMs: number
  readonly #waitMs: number
  readonly #held = new Map<string, Held>()

  constructor(store: ContractSessionStore, options: SessionLeaseOptions = {}) {
    if (options.ttlMs !== undefined && !(Number.isFinite(options.ttlMs) && options.ttlMs > 0)) {
      throw new InvalidArgumentError(
        'sessionLease.ttlMs',
        'ttlMs must be a positive finite number of milliseconds.',
      )
    }
    if (options.waitMs !== undefined && !(Number.isFinite(options.waitMs) && options.waitMs >= 0)) {
      throw new InvalidArgumentError(
        'sessionLease.waitMs',
        'waitMs must be a finite number of milliseconds, 0 or more.',
      )
    }
    if (options.ownerId !== undefined && (typeof options.ownerId !== 'string' || options.ownerId === '')) {
      throw new InvalidArgumentError('sessionLease.ownerId', 'ownerId must be a non-empty string.')
    }
    this.#waitMs = options.waitMs ?? 0
    this.#store = store
    this.#ownerId = options.ownerId ?? `pid-${process.pid}-${globalThis.crypto.randomUUID().slice(0, 8)}`
    this.#ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS
  }

  /** The contract store underneath. */
  get store(): ContractSessionStore {
    return this.#store
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    const held = await this.#lease(id)
    const record = await this.#store.load(id)
    held.version = record?.version ?? 0
    held.messageCount = record?.messages.length ?? 0
    held.workspace = { ...(record?.workspace ?? {}) }
    held.sandboxKey = record?.sandbox ? sandboxKey(record.sandbox) : undefined
    held.extensions = new Map(
      Object.entries(record?.extensions ?? {}).map(([name, value]) => [name, JSON.stringify(value)]),
    )
    if (!record) return undefined
    return {
      version: SESSION_RECORD_VERSION,
      messages: record.messages as ModelMessage[],
      ...(record.python?.snapshot
        ? {
            pythonState: record.python.snapshot,
            pythonBackend: record.python.backend,
            ...(record.python.deltas.length > 0 ? { pythonDeltas: [...record.python.deltas] } : {}),
          }
        : {}),
      ...(record.python?.snapshot && recordedEngine(record.python.engineVersion)
        ? { pythonEngineVersion: record.python.engineVersion }
        : {}),
      ...(Object.keys(record.workspace).length > 0 ? { workspace: { ...record.workspace } } : {}),
      ...(record.sandbox ? { sandbox: { ...record.sandbox } } : {}),
      ...(Object.keys(record.extensions).length > 0
        ? { extensions: structuredClone({ ...record.extensions }) }
        : {}),
      updatedAt: record.updatedAt,
    }
  }

  async save(id: string, record: SessionRecord): Promise<void> {
    const held = await this.#lease(id)
    if (held.lost !== undefined) throw held.lost
    held.lease = await this.#store.renew(held.lease, this.#ttlMs)
    const added = record.messages.slice(held.messageCount)
    const delta = record.workspace ? workspaceDelta(held.workspace, record.workspace) : undefined
    const changesFiles =
      delta !== undefined && (Object.keys(delta.written).length > 0 || delta.removed.length > 0)
    const nextSandboxKey = record.sandbox ? sandboxKey(record.sandbox) : held.sandboxKey
    const nextExtensions = new Map(
      Object.entries(record.extensions ?? {}).map(([name, value]) => [name, JSON.stringify(value)]),
    )
    const extensions: Record<string, unknown> = {}
    for (const [name, text] of nextExtensions)
      if (held.extensions.get(name) !== text) extensions[name] = JSON.parse(text)
    for (const name of held.extensions.keys()) if (!nextExtensions.has(name)) extensions[name] = null
    held.version = await this.#store.commit(held.lease, {
      expectedVersion: held.version,
      appendMessages: added,
      ...(record.pythonState
        ? {
            python: {
              kind: 'snapshot' as const,
              backend: record.pythonBackend ?? 'unknown',
              engineVersion: record.pythonEngineVersion ?? UNRECORDED_ENGINE_VERSION,
              state: record.pythonState,
            },
          }
        : record.pythonDelta
          ? {
              python: {
                kind: 'delta' as const,
                backend: record.pythonBackend ?? 'unknown',
                engineVersion: record.pythonEngineVersion ?? UNRECORDED_ENGINE_VERSION,
                ...record.pythonDelta,
              },
            }
          : {}),
      ...(changesFiles ? { workspace: { kind: 'delta' as const, ...delta! } } : {}),
      ...(record.sandbox && nextSandboxKey !== held.sandboxKey ? { sandbox: { ...record.sandbox } } : {}),
      ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
    })
    held.extensions = nextExtensions
    held.messageCount = record.messages.length
    if (record.workspace) held.workspace = { ...record.workspace }
    held.sandboxKey = nextSandboxKey
  }

  async delete(id: string): Promise<void> {
    const held = await this.#lease(id)
    await this.#store.delete(held.lease)
    clearInterval(held.renewal)
    this.#held.delete(id)
  }

  /** Ends this agent's lease on `id`, so another process continues the session at once. */
  async release(id: string): Promise<void> {
    const held = this.#held.get(id)
    this.#held.delete(id)
    if (!held) return
    clearInterval(held.renewal)
    await this.#store.release(held.lease)
  }

  /**
   * One renewal tick. A renewal refused with `SessionBusyError` means another owner has the
   * session: the lease is lost for good and every later save rejects with that error. Any other
   * failure (store unreachable for a moment) is retried on the next tick.
   */
  #renew(held: Held): void {
    if (held.lost !== undefined) return
    this.#store.renew(held.lease, this.#ttlMs).then(
      (renewed) => {
        held.lease = renewed
      },
      (error: unknown) => {
        if (isPyFlueError(error) && error.code === ErrorCodes.SESSION_BUSY) {
          held.lost = error
          clearInterval(held.renewal)
        }
      },
    )
  }

  async #lease(id: string): Promise<Held> {
    let held = this.#held.get(id)
    if (!held) {
      const lease = await this.#store.acquire(id, {
        ownerId: this.#ownerId,
        ttlMs: this.#ttlMs,
        ...(this.#waitMs > 0 ? { waitMs: this.#waitMs } : {}),
      })
      const entry: Held = {
        lease,
        version: 0,
        messageCount: 0,
        workspace: {},
        sandboxKey: undefined,
        extensions: new Map(),
        renewal: undefined,
        lost: undefined,
      }
      entry.renewal = setInterval(() => this.#renew(entry), Math.max(1, Math.floor(this.#ttlMs / 3)))
      entry.renewal.unref?.()
      this.#held.set(id, entry)
      held = entry
    }
    return held
  }
}

function sandboxKey(sandbox: { provider: string; sandboxId: string }): string {
  return `${sandbox.provider}/${sandbox.sandboxId}`
}
