// The options of `createPyflueMcpServer` and their check: which backend and sandbox each MCP
// session gets, what Python may call, the limits of every run, and the hooks around sessions.
import {
  checkResourceLimits,
  type ExternalFunctions,
  InvalidArgumentError,
  type PyFlueRegistry,
  type PythonBackendFactory,
  type ResourceLimits,
  refuseUnknownKeys,
  type SandboxFactory,
} from '@pyflue/core'

/** Options of `createPyflueMcpServer`. */
export interface PyflueMcpServerOptions {
  /** The Python backend of every session: a registry name (`'monty'`) or a factory. Default `'monty'`. */
  pythonBackend?: string | PythonBackendFactory
  /** The sandbox of every session, if any: a registry name (`'virtual'`) or a factory. Without one there are no file tools. */
  sandbox?: string | SandboxFactory
  /** JavaScript functions Python may call inside `run_code` (listed in the tool's description). */
  externalFunctions?: ExternalFunctions
  /** Limits of every run; omitted limits take the backend's defaults. A client cannot raise them. */
  resourceLimits?: ResourceLimits
  /** Cap on the text of one tool result, in characters. Default 8000. */
  maxOutputChars?: number
  /**
   * With a progress token, a run that prints nothing still reports progress this often (seconds),
   * so a client that resets its timeout on progress keeps waiting for a long run. Default 5.
   */
  progressIntervalSecs?: number
  /** Files written into each new session's sandbox before its first tool call: sandbox path → content. */
  files?: Readonly<Record<string, string | Uint8Array>>
  /** Called when a session starts; resolving with bytes loads them as the session's Python state (`PythonBackend.loadState`). */
  loadState?: (sessionId: string) => Uint8Array | undefined | Promise<Uint8Array | undefined>
  /** Called with the session's Python state (`dumpState`) when the session ends, before it is closed. */
  saveState?: (sessionId: string, state: Uint8Array) => void | Promise<void>
  /**
   * When `saveState` is called: `'close'` (the default) when the session ends; `'run'` also after
   * every `run_code` that succeeded, before it is answered, so a process killed later loses
   * nothing that was answered. Saves of one session never overlap.
   */
  saveStateAfter?: 'close' | 'run'
  /** The registry names resolve through. Default: core's `defaultRegistry`. */
  registry?: PyFlueRegistry
  /** The server's name in the MCP handshake. Default `'pyflue'`. */
  name?: string
  /** The server's version in the MCP handshake. Default this package's version. */
  version?: string
}

const SERVER_OPTION_KEYS = Object.keys({
  pythonBackend: true,
  sandbox: true,
  externalFunctions: true,
  resourceLimits: true,
  maxOutputChars: true,
  progressIntervalSecs: true,
  files: true,
  loadState: true,
  saveState: true,
  saveStateAfter: true,
  registry: true,
  name: true,
  version: true,
} satisfies Record<keyof PyflueMcpServerOptions, true>)

/** Refuses unknown keys and invalid values with `InvalidArgumentError`. */
export function checkServerOptions(options: PyflueMcpServerOptions): void {
  refuseUnknownKeys(options, SERVER_OPTION_KEYS, 'createPyflueMcpServer options')
  if (options.resourceLimits !== undefined) checkResourceLimits(options.resourceLimits, 'resourceLimits')
  const max = options.maxOutputChars
  if (max !== undefined && !(Number.isInteger(max) && max >= 200)) {
    throw new InvalidArgumentError('maxOutputChars', `maxOutputChars must be an integer >= 200: got ${max}`)
  }
  for (const key of ['loadState', 'saveState'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      throw new InvalidArgumentError(key, `${key} must be a function.`)
    }
  }
  const interval = options.progressIntervalSecs
  if (
    interval !== undefined &&
    !(typeof interval === 'number' && Number.isFinite(interval) && interval > 0)
  ) {
    throw new InvalidArgumentError(
      'progressIntervalSecs',
      `progressIntervalSecs must be a positive number: got ${String(interval)}`,
    )
  }
  const after = options.saveStateAfter
  if (after !== undefined && after !== 'close' && after !== 'run') {
    throw new InvalidArgumentError(
      'saveStateAfter',
      `saveStateAfter is 'close' or 'run': got ${String(after)}`,
    )
  }
  if (after === 'run' && options.saveState === undefined) {
    throw new InvalidArgumentError('saveStateAfter', "saveStateAfter: 'run' needs saveState.")
  }
  if (options.files !== undefined && (typeof options.files !== 'object' || options.files === null)) {
    throw new InvalidArgumentError('files', 'files must be an object of sandbox path → content.')
  }
  if (options.files !== undefined && options.sandbox === undefined) {
    throw new InvalidArgumentError('files', 'files need a sandbox: set sandbox (e.g. "virtual").')
  }
}
