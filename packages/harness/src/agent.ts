import {
  ClosedError,
  type Harness,
  InvalidArgumentError,
  instrumentPythonBackend,
  instrumentSandbox,
  type PythonBackend,
  type PythonBackendFactory,
  type ResourceLimits,
  type Sandbox,
  type SandboxFactory,
  type SandboxPolicy,
  StateFormatError,
  Telemetry,
  withSandboxPolicy,
} from '@pyflue/core'
import type { LanguageModel, ToolSet } from 'ai'
import { CommittedPython } from './python-commits.js'
import { type ModelSetting, resolveModel } from './resolve-model.js'
import { Session } from './session.js'
import type { SessionStore } from './session-store.js'
import { ContractStoreBridge } from './session-stores/contract-store-bridge.js'
import { keepsWorkspaceFiles, restoreWorkspaceFiles, WorkspaceReader } from './session-workspace.js'
import type { SandboxToolLimits } from './tool-limits.js'

/** Everything an agent is made from; built by `init()`. */
export interface AgentSettings {
  /** The harness prompts run on; `undefined` for the built-in AI SDK loop. */
  harness: Harness | undefined
  /** An AI SDK model setting, or (with `harness`) the model that harness drives. */
  model: ModelSetting | object | undefined
  pythonBackendFactory: PythonBackendFactory | undefined
  sandboxFactory: SandboxFactory | undefined
  sandboxPolicy: SandboxPolicy | undefined
  instructions: string | undefined
  /** AI SDK tools, or (with `harness`) the tools in that harness's format. */
  tools: ToolSet | readonly object[]
  store: SessionStore
  maxSteps: number
  maxOutputChars: number
  resourceLimits: ResourceLimits | undefined
  toolLimits: Required<SandboxToolLimits>
  /** Spans and metrics; off when omitted. */
  telemetry?: Telemetry | undefined
}

const MAX_SESSION_ID_LENGTH = 256

/**
 * A configured model, Python backend, sandbox, tools and store, from which sessions are opened.
 *
 * - `session(id)` opens the session `id`: the same id returns the same `Session` object while it
 *   is open, concurrent calls included. A new session gets its own sandbox (`createSandbox({ id })`,
 *   wrapped with the agent's policy) and its own backend, and continues the messages, Python
 *   state and workspace files the store holds for `id` (see `session-workspace.ts`).
 * - The model is resolved on the first prompt of any session, once.
 * - `close()` closes every open session; later `session()` calls reject with `ClosedError`.
 */
export class Agent {
  readonly #settings: AgentSettings
  readonly #sessions = new Map<string, Promise<Session>>()
  #model: Promise<Exclude<LanguageModel, string>> | undefined
  #closed = false

  /** @internal Agents are made by `init()`. */
  constructor(settings: AgentSettings) {
    this.#settings = settings
  }

  /** The session store this agent saves sessions to. */
  get store(): SessionStore {
    return this.#settings.store
  }

  /** The ids of the sessions open in this agent. */
  get openSessionIds(): string[] {
    return [...this.#sessions.keys()]
  }

  /** Opens (or returns the open) session `id`. */
  session(id: string): Promise<Session> {
    if (this.#closed) return Promise.reject(new ClosedError('agent'))
    if (typeof id !== 'string' || id === '' || id.length > MAX_SESSION_ID_LENGTH) {
      return Promise.reject(
        new InvalidArgumentError(
          'id',
          `A session id must be a non-empty string of at most ${MAX_SESSION_ID_LENGTH} characters.`,
        ),
      )
    }
    const open = this.#sessions.get(id)
    if (open) return open
    const opening = this.#open(id)
    this.#sessions.set(id, opening)
    opening.catch(() => {
      if (this.#sessions.get(id) === opening) this.#sessions.delete(id)
    })
    return opening
  }

  /** Closes every open session. Closing twice is a no-op. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const sessions = await Promise.allSettled(this.#sessions.values())
    await Promise.all(
      sessions.map((entry) => (entry.status === 'fulfilled' ? entry.value.close() : undefined)),
    )
  }

  /** The model, resolved once on first use. */
  model(): Promise<Exclude<LanguageModel, string>> {
    if (!this.#model) {
      const resolving = resolveModel(this.#settings.model as ModelSetting | undefined)
      this.#model = resolving
      resolving.catch(() => {
        if (this.#model === resolving) this.#model = undefined
      })
    }
    return this.#model
  }

  async #open(id: string): Promise<Session> {
    const settings = this.#settings
    const telemetry = settings.telemetry ?? Telemetry.off
    let sandbox: Sandbox | undefined
    let created: Sandbox | undefined
    let backend: PythonBackend | undefined
    try {
      if (settings.sandboxFactory) {
        created = await settings.sandboxFactory.createSandbox({ id })
        sandbox = settings.sandboxPolicy ? withSandboxPolicy(created, settings.sandboxPolicy) : created
        sandbox = instrumentSandbox(sandbox, telemetry)
      }
      if (settings.pythonBackendFactory) {
        backend = await settings.pythonBackendFactory.createBackend({
          sessionId: id,
          ...(sandbox ? { sandbox } : {}),
        })
        backend = instrumentPythonBackend(backend, telemetry)
      }
      const record = await settings.store.load(id)
      // The host restores the files, not the model: the policy's wrapper is not in the way.
      const keepsFiles = created !== undefined && keepsWorkspaceFiles(created)
      if (record?.workspace && created && keepsFiles) await restoreWorkspaceFiles(created, record.workspace)
      if (record?.pythonState && backend) {
        refuseOtherEngine(id, record.pythonEngineVersion, backend)
        await backend.loadState(record.pythonState, record.pythonDeltas)
      }
      // What a failed save puts the session back to: the stored state, or the state at open.
      const committedPython = !backend
        ? undefined
        : record?.pythonState
          ? new CommittedPython(
              record.pythonState,
              record.pythonDeltas ?? [],
              CommittedPython.madeBy(record.pythonBackend ?? 'unknown', record.pythonEngineVersion),
            )
          : new CommittedPython(await backend.dumpState(), [], undefined)
      const workspace = created && keepsFiles ? new WorkspaceReader(created, id) : undefined
      // A workspace already past the bounds at open is refused by the first save instead.
      const committedWorkspace =
        record?.workspace ?? (workspace ? await workspace.read().catch(() => undefined) : undefined)
      const session: Session = new Session({
        id,
        getModel: () => this.model(),
        ...(settings.harness
          ? { harness: { harness: settings.harness, model: settings.model, tools: settings.tools } }
          : {}),
        pythonBackend: backend,
        sandbox,
        instructions: settings.instructions,
        tools: settings.harness ? {} : (settings.tools as ToolSet),
        store: settings.store,
        ...(workspace ? { workspace, committedWorkspace } : {}),
        committedPython,
        messages: record ? [...record.messages] : [],
        ...(record?.extensions ? { extensions: record.extensions } : {}),
        maxSteps: settings.maxSteps,
        maxOutputChars: settings.maxOutputChars,
        resourceLimits: settings.resourceLimits,
        toolLimits: settings.toolLimits,
        telemetry,
        onClose: async () => {
          this.#sessions.delete(id)
          if (settings.store instanceof ContractStoreBridge) await settings.store.release(id)
        },
      })
      return session
    } catch (error) {
      await backend?.close().catch(() => {})
      await sandbox?.close?.().catch(() => {})
      // A session that did not open keeps no lease: another process (or a fixed one) opens it.
      if (settings.store instanceof ContractStoreBridge) await settings.store.release(id).catch(() => {})
      throw error
    }
  }
}

/**
 * Refuses a stored Python state dumped by another engine version than `backend` runs, with a
 * `StateFormatError` (reason `'version'`), before the backend reads a byte of it. A state stored
 * without a version (its backend stated none) is left to the backend's own format check.
 */
function refuseOtherEngine(id: string, stored: string | undefined, backend: PythonBackend): void {
  if (stored === undefined || stored === backend.engineVersion) return
  throw new StateFormatError(
    'version',
    `Session '${id}' holds Python state dumped by engine ${stored}; this '${backend.name}' backend runs ${backend.engineVersion ?? 'an engine that states no version'} and does not load it. Open the session with ${stored}, or start a new session.`,
  )
}
