/**
 * The session store contract (version 1): where a session's conversation, Python state,
 * workspace and sandbox id are kept so any process on any machine continues it.
 * Third parties implement `SessionStore`; `@pyflue/testkit`'s `describeSessionStoreContract`
 * checks an implementation against every sentence below.
 */
import { StateFormatError } from './errors/python-errors.js'

/** The contract version of `SessionStore`; an incompatible change is a new number. */
export const SESSION_STORE_CONTRACT_VERSION = 1 as const

/** The workspace bound a store applies when it is given none: 64 MiB of file contents. */
export const DEFAULT_MAX_WORKSPACE_BYTES = 64 * 1024 * 1024

/** A held claim on one session: only its owner commits until it is released or expires. */
export interface SessionLease {
  readonly sessionId: string
  /** Who holds it, e.g. `'host-3:pid-4711'`. */
  readonly ownerId: string
  /** Unique per acquisition; a later lease of the same owner has another token. */
  readonly token: string
  /** When the lease lapses unless renewed, milliseconds since the epoch (the store's clock). */
  readonly expiresAt: number
}

/** How to acquire a lease. */
export interface AcquireLeaseOptions {
  /** The owner id; any non-empty string. */
  ownerId: string
  /** How long the lease lasts without renewal, in milliseconds (> 0). */
  ttlMs: number
  /** How long to wait for another owner's lease to go, in milliseconds. Default 0: fail at once. */
  waitMs?: number
  /** Stops waiting; the promise rejects with the signal's reason. */
  signal?: AbortSignal
}

/** One run's change to the Python namespace: names it bound or rebound, and names it deleted. */
export interface PythonStateDelta {
  /** Each changed name with its value's serialised bytes, as the backend produced them. */
  readonly changed: Readonly<Record<string, Uint8Array>>
  /** Names the run deleted. */
  readonly removed: readonly string[]
}

/** The Python state as a store keeps it: a full snapshot plus the deltas committed after it. */
export interface StoredPythonState {
  /** The backend's name, e.g. `'monty'`. */
  readonly backend: string
  /** The backend engine's version the bytes were made by, e.g. `'0.0.3'`. */
  readonly engineVersion: string
  /** The backend's `dumpState()` bytes at the last compaction, when there was one. */
  readonly snapshot?: Uint8Array
  /** Every delta committed after `snapshot`, oldest first. */
  readonly deltas: readonly PythonStateDelta[]
}

/** How a commit changes the Python state. */
export type PythonStateChange =
  /** Replaces the state as a whole and drops every earlier delta (compaction). */
  | { kind: 'snapshot'; backend: string; engineVersion: string; state: Uint8Array }
  /** Appends one delta; the backend and engine version must match the stored ones. */
  | ({ kind: 'delta'; backend: string; engineVersion: string } & PythonStateDelta)

/** How a commit changes the workspace files of the virtual sandbox. */
export type WorkspaceChange =
  /** Replaces every file. */
  | { kind: 'snapshot'; files: Readonly<Record<string, Uint8Array>> }
  /** Writes these files and removes those paths; other files stay. */
  | { kind: 'delta'; written: Readonly<Record<string, Uint8Array>>; removed: readonly string[] }

/** A provider sandbox (E2B, Vercel) a session reconnects to. */
export interface StoredSandbox {
  /** The sandbox's registered name, e.g. `'e2b'`. */
  readonly provider: string
  /** The provider's id of the running sandbox. */
  readonly sandboxId: string
}

/** One atomic step of a session: everything in it is committed together, or nothing is. */
export interface SessionCommit {
  /** The version this commit is based on: `0` for a session not stored yet. */
  expectedVersion: number
  /** Messages appended to the conversation, in order. JSON values. */
  appendMessages?: readonly unknown[]
  python?: PythonStateChange
  workspace?: WorkspaceChange
  /** Sets the provider sandbox; `null` forgets it. */
  sandbox?: StoredSandbox | null
  /** Sets named JSON values later features keep (e.g. pending paused runs); `null` removes one. */
  extensions?: Readonly<Record<string, unknown>>
}

/** Everything stored for one session. */
export interface SessionRecord {
  readonly sessionId: string
  /** The number of commits so far; the first commit makes version 1. */
  readonly version: number
  /** Every appended message, oldest first. */
  readonly messages: readonly unknown[]
  readonly python?: StoredPythonState
  /** Workspace files by absolute sandbox path. */
  readonly workspace: Readonly<Record<string, Uint8Array>>
  readonly sandbox?: StoredSandbox
  readonly extensions: Readonly<Record<string, unknown>>
  /** When the last commit was made, ISO 8601. */
  readonly updatedAt: string
}

/**
 * Where sessions are kept between processes and machines.
 *
 * - `contractVersion` is `1`.
 * - `load(id)` resolves the last committed record of `id`, or `undefined` when none was committed.
 *   A reader sees one commit's record as a whole, never part of one.
 * - A store never shares objects with its caller: changing a loaded record, or the objects of a
 *   commit after it resolved, changes nothing stored.
 * - `acquire(id, options)` resolves a lease on `id` for `options.ownerId` lasting `options.ttlMs`.
 *   It succeeds when no lease is held or the held one expired. While another lease is held it
 *   rejects with `SessionBusyError` at once, or, with `waitMs`, keeps trying until the lease goes
 *   and rejects with `SessionBusyError` when `waitMs` passes. Acquiring a session needs no record.
 * - `renew(lease, ttlMs?)` extends a current lease (by its original TTL unless `ttlMs` is given)
 *   and resolves the renewed lease; a lease that expired, was released or was taken over rejects
 *   with `SessionBusyError`.
 * - `release(lease)` ends a current lease so another owner acquires at once; releasing a lease
 *   that is no longer current is a no-op.
 * - `commit(lease, change)` applies `change` to the lease's session and resolves the new record's
 *   version, `change.expectedVersion + 1`. Stores check a commit with `checkSessionCommit`
 *   before writing anything, reading only the sizes of the paths it touches.
 *   - A commit of the wrong shape (unknown keys, bytes that are not `Uint8Array`, workspace paths
 *     that are not absolute, ...) rejects with `InvalidArgumentError` and changes nothing.
 *   - A lease that is not current rejects with `SessionBusyError` and changes nothing.
 *   - An `expectedVersion` that is not the stored version (0 when nothing is stored) rejects with
 *     `SessionConflictError` and changes nothing. Of two commits based on one version, exactly one
 *     succeeds.
 *   - Messages are appended: a commit's cost follows what it appends, not the conversation's length,
 *     and a workspace delta writes only its paths; `load` reads the current state, it does not
 *     replay every commit.
 *   - A Python delta is appended to the stored deltas; a snapshot replaces the snapshot and drops
 *     the deltas. A delta whose backend or engine version differs from the stored state's, or a
 *     delta with no stored state, rejects with `StateFormatError` and changes nothing.
 *   - Workspace changes apply as documented on `WorkspaceChange`. A workspace whose file contents
 *     would exceed the store's bound (documented by each store, `DEFAULT_MAX_WORKSPACE_BYTES` unless
 *     configured) rejects with `SessionTooLargeError` and changes nothing.
 *   - A store that cannot make the commit (e.g. unreachable) rejects and changes nothing; the next
 *     commit with the same expected version works once the store is back.
 * - `delete(lease)` forgets the lease's session (record and lease); a lease that is not current
 *   rejects with `SessionBusyError`.
 * - `close()` releases what the store opened (connections it created, not clients it was given).
 */
export interface SessionStore {
  readonly contractVersion: typeof SESSION_STORE_CONTRACT_VERSION
  load(id: string): Promise<SessionRecord | undefined>
  acquire(id: string, options: AcquireLeaseOptions): Promise<SessionLease>
  renew(lease: SessionLease, ttlMs?: number): Promise<SessionLease>
  release(lease: SessionLease): Promise<void>
  commit(lease: SessionLease, change: SessionCommit): Promise<number>
  delete(lease: SessionLease): Promise<void>
  close(): Promise<void>
}

/**
 * Refuses a stored Python state made by another backend or engine version with a
 * `StateFormatError` (reason `'backend'` or `'version'`), so it is never misread; resolves nothing otherwise.
 */
export function assertPythonStateCompatible(
  state: StoredPythonState,
  backend: { name: string; engineVersion: string },
): void {
  if (state.backend !== backend.name || state.engineVersion !== backend.engineVersion) {
    throw new StateFormatError(
      state.backend !== backend.name ? 'backend' : 'version',
      `The stored Python state was made by ${state.backend} ${state.engineVersion}; this backend is ${backend.name} ${backend.engineVersion}, which does not read it. Start a new session or use the matching version.`,
    )
  }
}

/** The total bytes of a workspace's file contents, as stores bound it. */
export function workspaceBytes(files: Readonly<Record<string, Uint8Array>>): number {
  let total = 0
  for (const bytes of Object.values(files)) total += bytes.byteLength
  return total
}
