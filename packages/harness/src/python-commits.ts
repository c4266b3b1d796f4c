/**
 * `CommittedPython`: the session's Python state as its store holds it (a snapshot and the deltas
 * committed after it), and what the next save commits of it. With a store that appends Python
 * deltas (`SessionStore.appendsPythonDeltas`: every core-contract store) and a backend that takes
 * them (`PythonBackend.dumpStateDelta`), a save writes only the names the run changed, so its cost
 * follows the change, not the namespace's size; a full snapshot is compacted in once the deltas
 * since the last one outweigh it (or number `MAX_DELTAS`). Otherwise each save is a full
 * `dumpState()`, as before.
 */
import type { PythonBackend, PythonStateDelta } from '@pyflue/core'
import type { SessionRecord, SessionStore } from './session-store.js'

/** At most this many deltas follow a snapshot before the next save compacts them into one. */
export const MAX_DELTAS = 256

/** Deltas since the last snapshot may add up to the snapshot's size, and to at least this many bytes. */
export const MIN_COMPACTION_BYTES = 1024 * 1024

/** What one save commits of the Python state: all of it, a delta, or nothing (no name changed). */
export type PythonSave =
  | { kind: 'snapshot'; bytes: Uint8Array }
  | { kind: 'delta'; delta: PythonStateDelta }
  | { kind: 'unchanged' }

export class CommittedPython {
  #snapshot: Uint8Array
  #deltas: PythonStateDelta[]
  #deltaBytes: number
  /**
   * The backend and engine version the stored state was made by (`backend engineVersion`), or
   * `undefined` while the store holds none. A delta must follow a state of the same ones.
   */
  #storedBy: string | undefined
  /** Set when the namespace was replaced outside a run (`loadPythonState`): the next save is a snapshot. */
  #snapshotDue = false

  /**
   * `snapshot` and `deltas`: the state as the store holds it, made by `storedBy` (see
   * `madeBy`), or the backend's state at open with `storedBy` undefined when the store holds none.
   */
  constructor(snapshot: Uint8Array, deltas: readonly PythonStateDelta[], storedBy: string | undefined) {
    this.#snapshot = snapshot
    this.#deltas = [...deltas]
    this.#deltaBytes = deltas.reduce((sum, delta) => sum + deltaSize(delta), 0)
    this.#storedBy = storedBy
  }

  /** Who made a state, as compared here: the backend's name and engine version. */
  static madeBy(backend: string, engineVersion: string | undefined): string {
    return `${backend} ${engineVersion ?? ''}`
  }

  /** Makes the next save a full snapshot (the namespace was replaced as a whole). */
  snapshotNext(): void {
    this.#snapshotDue = true
  }

  /**
   * What the next save commits. Taking a delta moves the backend's delta baseline, so the save
   * must be either committed (`committed`) or undone (`restore`) before the next one.
   */
  async next(backend: PythonBackend, store: SessionStore): Promise<PythonSave> {
    if (store.appendsPythonDeltas !== true || typeof backend.dumpStateDelta !== 'function') {
      return { kind: 'snapshot', bytes: await backend.dumpState() }
    }
    const delta = await backend.dumpStateDelta()
    const size = deltaSize(delta)
    const compact =
      this.#storedBy !== CommittedPython.madeBy(backend.name, backend.engineVersion) ||
      this.#snapshotDue ||
      this.#deltas.length >= MAX_DELTAS ||
      this.#deltaBytes + size > Math.max(this.#snapshot.length, MIN_COMPACTION_BYTES)
    if (compact) return { kind: 'snapshot', bytes: await backend.dumpState() }
    if (Object.keys(delta.changed).length === 0 && delta.removed.length === 0) return { kind: 'unchanged' }
    return { kind: 'delta', delta }
  }

  /** Records that the store now holds `save`, made by `backend`. */
  committed(save: PythonSave, backend: PythonBackend): void {
    if (save.kind === 'snapshot') {
      this.#snapshot = save.bytes
      this.#deltas = []
      this.#deltaBytes = 0
      this.#storedBy = CommittedPython.madeBy(backend.name, backend.engineVersion)
      this.#snapshotDue = false
    } else if (save.kind === 'delta') {
      this.#deltas.push(save.delta)
      this.#deltaBytes += deltaSize(save.delta)
    }
  }

  /** Puts `backend` back to the committed state (which also resets its delta baseline to it). */
  async restore(backend: PythonBackend): Promise<void> {
    await backend.loadState(this.#snapshot, this.#deltas.length > 0 ? this.#deltas : undefined)
  }
}

/** The fields of a saved `SessionRecord` that carry `save`, made by `backend` (none when unchanged). */
export function pythonRecordFields(
  save: PythonSave,
  backend: PythonBackend,
): Pick<SessionRecord, 'pythonState' | 'pythonDelta' | 'pythonBackend' | 'pythonEngineVersion'> {
  if (save.kind === 'unchanged') return {}
  return {
    ...(save.kind === 'snapshot' ? { pythonState: save.bytes } : { pythonDelta: save.delta }),
    pythonBackend: backend.name,
    ...(backend.engineVersion !== undefined ? { pythonEngineVersion: backend.engineVersion } : {}),
  }
}

function deltaSize(delta: PythonStateDelta): number {
  let size = 0
  for (const bytes of Object.values(delta.changed)) size += bytes.length
  for (const name of delta.removed) size += name.length
  return size
}
