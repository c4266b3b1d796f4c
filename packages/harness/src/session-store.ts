import type { PythonStateDelta } from '@pyflue/core'
import type { ModelMessage } from 'ai'
import type { WorkspaceFiles } from './session-workspace.js'

/** The contract version of `SessionRecord`; a new incompatible shape is a new number. */
export const SESSION_RECORD_VERSION = 1 as const

/** What a session store keeps for one session. */
export interface SessionRecord {
  /** Always `1` for this shape. */
  version: typeof SESSION_RECORD_VERSION
  /** The conversation so far: every user message and every model and tool message it produced. */
  messages: ModelMessage[]
  /** The Python backend's `dumpState()` bytes, when the session has a backend. */
  pythonState?: Uint8Array
  /**
   * The changes committed after `pythonState`, oldest first: a load from a store that appends
   * Python deltas (`appendsPythonDeltas`) hands them back, to be loaded with it.
   */
  pythonDeltas?: PythonStateDelta[]
  /**
   * Only in a save to a store that appends Python deltas, in place of `pythonState`: what the
   * run changed since the last save (`PythonBackend.dumpStateDelta`). The store appends it.
   */
  pythonDelta?: PythonStateDelta
  /** The backend's name the state belongs to, e.g. `'monty'`. */
  pythonBackend?: string
  /**
   * The engine version the state was dumped by (`PythonBackend.engineVersion`), when the backend
   * states one; a session whose stored version differs from its backend's does not open.
   */
  pythonEngineVersion?: string
  /**
   * The files of a sandbox that dies with its process (the virtual sandbox), by absolute sandbox
   * path; written into the next process's sandbox when the session opens there.
   */
  workspace?: WorkspaceFiles
  /** A provider sandbox (E2B, Vercel) the session runs in: its name and the provider's id. */
  sandbox?: { provider: string; sandboxId: string }
  /** When the record was saved, ISO 8601. */
  updatedAt: string
  /**
   * Named JSON values later features keep with the session (the pending approvals of paused
   * Python runs: `pyflue.pendingApprovals`). A save carries all of them; a name it leaves out is
   * removed.
   */
  extensions?: Record<string, unknown>
}

/**
 * Where sessions are kept between processes.
 *
 * - `load(id)` resolves the last record saved for `id`, or `undefined` when there is none.
 * - `save(id, record)` replaces the record for `id` as a whole: a reader sees the old record or
 *   the new one, never a mix. (A store with `appendsPythonDeltas` given a record with
 *   `pythonDelta` keeps its Python state and appends the delta to it.)
 * - `delete(id)` forgets `id`; deleting a missing id is a no-op.
 * - A store never shares a record's objects with its caller: changing a loaded record does not
 *   change the stored one.
 */
export interface SessionStore {
  /**
   * True for a store that keeps the Python state as a snapshot plus deltas (every store of the
   * core contract, through the harness): a save may carry `pythonDelta` instead of `pythonState`,
   * and a load may hand back `pythonDeltas`. Absent: every save carries the whole state.
   */
  readonly appendsPythonDeltas?: boolean
  load(id: string): Promise<SessionRecord | undefined>
  save(id: string, record: SessionRecord): Promise<void>
  delete(id: string): Promise<void>
}

/** The default store: records live in this process's memory and die with it. */
export class InMemorySessionStore implements SessionStore {
  readonly #records = new Map<string, SessionRecord>()

  async load(id: string): Promise<SessionRecord | undefined> {
    const record = this.#records.get(id)
    return record ? copyRecord(record) : undefined
  }

  async save(id: string, record: SessionRecord): Promise<void> {
    this.#records.set(id, copyRecord(record))
  }

  async delete(id: string): Promise<void> {
    this.#records.delete(id)
  }
}

function copyRecord(record: SessionRecord): SessionRecord {
  return {
    ...record,
    messages: structuredClone(record.messages),
    ...(record.pythonState ? { pythonState: new Uint8Array(record.pythonState) } : {}),
    ...(record.workspace
      ? {
          workspace: Object.fromEntries(
            Object.entries(record.workspace).map(([path, bytes]) => [path, new Uint8Array(bytes)]),
          ),
        }
      : {}),
    ...(record.sandbox ? { sandbox: { ...record.sandbox } } : {}),
    ...(record.extensions ? { extensions: structuredClone(record.extensions) } : {}),
  }
}
