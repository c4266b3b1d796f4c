/**
 * Lets `init({ store })` take any store of the core `SessionStore` contract (v1): it presents the
 * harness's load/save/delete over it. Loading a session leases it for this agent (another owner
 * gets `SessionBusyError`); each save renews the lease and commits only the messages added since
 * the last commit, the Python state, the workspace files written or removed since the last commit
 * and the provider sandbox when it changed, based on the last version (a stale base is a
 * `SessionConflictError`); `release(id)` ends the lease when the session closes.
 * The Python state is still committed as a full snapshot per save; deltas need the backend's
 * changed-names support (not there yet).
 */
import {
  type SessionStore as ContractSessionStore,
  InvalidArgumentError,
  type SessionLease,
} from '@pyflue/core'
import type { ModelMessage } from 'ai'
import { SESSION_RECORD_VERSION, type SessionRecord, type SessionStore } from '../session-store.js'
import { type WorkspaceFiles, workspaceDelta } from '../session-workspace.js'

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

export class ContractStoreBridge implements SessionStore {
  readonly #store: ContractSessionStore
  readonly #ownerId: string
  readonly #ttlMs: number
  readonly #held = new Map<string, Held>()

  constructor(store: ContractSessionStore, options: { ownerId?: string; ttlMs?: number } = {}) {
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
    if (!record) return undefined
    if (record.python && record.python.deltas.length > 0) {
      throw new InvalidArgumentError(
        'store',
        `Session '${id}' holds Python deltas, which this harness version does not replay.`,
      )
    }
    return {
      version: SESSION_RECORD_VERSION,
      messages: record.messages as ModelMessage[],
      ...(record.python?.snapshot
        ? { pythonState: record.python.snapshot, pythonBackend: record.python.backend }
        : {}),
      ...(Object.keys(record.workspace).length > 0 ? { workspace: { ...record.workspace } } : {}),
      ...(record.sandbox ? { sandbox: { ...record.sandbox } } : {}),
      updatedAt: record.updatedAt,
    }
  }

  async save(id: string, record: SessionRecord): Promise<void> {
    const held = await this.#lease(id)
    held.lease = await this.#store.renew(held.lease, this.#ttlMs)
    const added = record.messages.slice(held.messageCount)
    const delta = record.workspace ? workspaceDelta(held.workspace, record.workspace) : undefined
    const changesFiles =
      delta !== undefined && (Object.keys(delta.written).length > 0 || delta.removed.length > 0)
    const nextSandboxKey = record.sandbox ? sandboxKey(record.sandbox) : held.sandboxKey
    held.version = await this.#store.commit(held.lease, {
      expectedVersion: held.version,
      appendMessages: added,
      ...(record.pythonState
        ? {
            python: {
              kind: 'snapshot' as const,
              backend: record.pythonBackend ?? 'unknown',
              engineVersion: 'unrecorded',
              state: record.pythonState,
            },
          }
        : {}),
      ...(changesFiles ? { workspace: { kind: 'delta' as const, ...delta! } } : {}),
      ...(record.sandbox && nextSandboxKey !== held.sandboxKey ? { sandbox: { ...record.sandbox } } : {}),
    })
    held.messageCount = record.messages.length
    if (record.workspace) held.workspace = { ...record.workspace }
    held.sandboxKey = nextSandboxKey
  }

  async delete(id: string): Promise<void> {
    const held = await this.#lease(id)
    await this.#store.delete(held.lease)
    this.#held.delete(id)
  }

  /** Ends this agent's lease on `id`, so another process continues the session at once. */
  async release(id: string): Promise<void> {
    const held = this.#held.get(id)
    this.#held.delete(id)
    if (held) await this.#store.release(held.lease)
  }

  async #lease(id: string): Promise<Held> {
    let held = this.#held.get(id)
    if (!held) {
      const lease = await this.#store.acquire(id, { ownerId: this.#ownerId, ttlMs: this.#ttlMs })
      held = { lease, version: 0, messageCount: 0, workspace: {}, sandboxKey: undefined }
      this.#held.set(id, held)
    }
    return held
  }
}

function sandboxKey(sandbox: { provider: string; sandboxId: string }): string {
  return `${sandbox.provider}/${sandbox.sandboxId}`
}
