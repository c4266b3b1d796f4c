import type { SessionStore as ContractSessionStore } from '@pyflue/core'
import {
  checkResourceLimits,
  createTelemetry,
  DEFAULT_MAX_OUTPUT_CHARS,
  defaultRegistry,
  type Harness,
  InvalidArgumentError,
  NotRegisteredError,
  type PyFlueRegistry,
  type PythonBackendFactory,
  type ResourceLimits,
  refuseUnknownKeys,
  type SandboxFactory,
  type SandboxPolicy,
  type TelemetrySetting,
} from '@pyflue/core'
import type { ToolSet } from 'ai'
import { Agent } from './agent.js'
import { checkApplicationTools } from './application-tools.js'
import { checkModelSetting, type ModelSetting } from './resolve-model.js'
import { InMemorySessionStore, type SessionStore } from './session-store.js'
import {
  ContractStoreBridge,
  isContractSessionStore,
  type SessionLeaseOptions,
} from './session-stores/contract-store-bridge.js'
import { instrumentSessionStore } from './telemetry/instrument-store.js'
import { resolveSandboxToolLimits, type SandboxToolLimits } from './tool-limits.js'

/** The instrumentation scope of the global tracer and meter for `init({ telemetry: true })`. */
export const TELEMETRY_SCOPE = '@pyflue/harness'

/** The name of the harness built into `@pyflue/harness`: the AI SDK loop (the default). */
export const AI_SDK_HARNESS = 'ai-sdk'

/** Options of `init()`. Every field is optional. */
export interface InitOptions {
  /**
   * The model loop prompts run on: `'ai-sdk'` (the default, the AI SDK loop built in), a
   * registered harness name (`'deepagents'`, resolved through the registry: install
   * `@pyflue/deepagents`), or an object implementing core's `Harness` contract.
   */
  harness?: string | Harness
  /**
   * With the `'ai-sdk'` harness: `'openai:<id>'`, `'anthropic:<id>'` or any AI SDK language model
   * object. With another harness, the model that harness drives: with `'deepagents'` a LangChain
   * chat model (an AI SDK model is refused with `InvalidArgumentError`). Needed only to prompt.
   */
  model?: ModelSetting | HarnessModel
  /** A registered backend name (`'monty'`) or a `PythonBackendFactory`. Needed for `runPython` and `run_code`. */
  pythonBackend?: string | PythonBackendFactory
  /** A registered sandbox name (`'virtual'`, `'e2b'`, `'vercel'`) or a `SandboxFactory`. Needed for files, shell and their tools. */
  sandbox?: string | SandboxFactory
  /** What the sandbox may do (writes, shell, allowed commands); applies to the session methods and the model's tools. */
  sandboxPolicy?: SandboxPolicy
  /** Text added to the system prompt after the workspace's `AGENTS.md`. */
  instructions?: string
  /**
   * Tools given to the model, in the harness's format: with `'ai-sdk'`, AI SDK tools keyed by
   * name (those with `execute` are also callable inside `run_code`); with `'deepagents'`, an
   * array of LangChain tools (also callable inside `run_code`).
   */
  tools?: ToolSet | readonly HarnessTool[]
  /**
   * Where sessions are kept: a store of the core `SessionStore` contract (leased per open session,
   * e.g. `@pyflue/store-postgres`) or a harness store. Default: an `InMemorySessionStore`.
   */
  store?: SessionStore | ContractSessionStore
  /**
   * How a core-contract store's sessions are leased (ignored by harness stores): `ttlMs` (default
   * 60000; renewed every third of it while the session is open), `ownerId` (default: this process
   * id plus a random suffix) and `waitMs` (how long `agent.session(id)` waits for another owner's
   * lease to go before rejecting with `SessionBusyError`; default 0, reject at once).
   */
  sessionLease?: SessionLeaseOptions
  /** The registry names resolve through. Default: `defaultRegistry` of `@pyflue/core`. */
  registry?: PyFlueRegistry
  /** Most model requests per prompt. Default 20. */
  maxSteps?: number
  /** Cap on each tool's text output to the model, in characters. Default 8000. */
  maxOutputChars?: number
  /**
   * The default limits of every Python run of the agent's sessions: the model's `run_code` and
   * `session.runPython` alike (a run's own `resourceLimits` override them key by key); omitted
   * limits take the backend's defaults.
   */
  resourceLimits?: ResourceLimits
  /**
   * Bounds of the model's file and shell tools: the `bash` deadline (`bashTimeoutMs`, default
   * 30 s) and the most a model may ask for (`maxBashTimeoutMs`, default 10 minutes), the `grep`
   * deadline (`grepTimeoutMs`, default 30 s) and the entries `glob`/`grep` look at
   * (`maxFilesScanned`, default 5000). What the model asks for is clamped to them.
   */
  toolLimits?: SandboxToolLimits
  /**
   * OpenTelemetry traces and metrics (see the README's "Traces and metrics"): `{ tracer, meter,
   * recordCode }` uses the objects given, `true` the global ones of `@opentelemetry/api`. Default
   * off: nothing is wrapped and `@opentelemetry/api` is never loaded.
   */
  telemetry?: TelemetrySetting
}

/** A model for a harness other than `'ai-sdk'` (e.g. a LangChain chat model); the harness checks it. */
export type HarnessModel = object

/** A tool for a harness other than `'ai-sdk'` (e.g. a LangChain tool); the harness checks it. */
export type HarnessTool = object

const INIT_OPTION_KEYS = [
  'harness',
  'model',
  'pythonBackend',
  'sandbox',
  'sandboxPolicy',
  'instructions',
  'tools',
  'store',
  'sessionLease',
  'registry',
  'maxSteps',
  'maxOutputChars',
  'resourceLimits',
  'toolLimits',
  'telemetry',
] as const satisfies readonly (keyof InitOptions)[]

/**
 * Makes an agent. Harness, backend and sandbox names resolve through the registry now (a missing package
 * is a `PackageNotInstalledError` naming the install command); nothing is created until
 * `agent.session(id)`, and the model and its provider package are not touched until a prompt.
 */
export async function init(options: InitOptions = {}): Promise<Agent> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'init() takes an options object.')
  }
  refuseUnknownKeys(options, INIT_OPTION_KEYS, 'init options')
  checkResourceLimits(options.resourceLimits, 'init options.resourceLimits')
  if (options.instructions !== undefined && typeof options.instructions !== 'string') {
    throw new InvalidArgumentError('init options.instructions', 'instructions must be a string.')
  }
  const registry = options.registry ?? defaultRegistry
  const harness = await resolveHarness(options.harness, registry)
  if (options.model !== undefined) {
    if (harness) harness.checkModel(options.model)
    else checkModelSetting(options.model as ModelSetting)
  }
  const maxSteps = options.maxSteps ?? 20
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new InvalidArgumentError('maxSteps', 'maxSteps must be a positive integer.')
  }
  const maxOutputChars = options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS
  if (!Number.isInteger(maxOutputChars) || maxOutputChars < 200) {
    throw new InvalidArgumentError('maxOutputChars', 'maxOutputChars must be an integer of at least 200.')
  }
  const toolLimits = resolveSandboxToolLimits(options.toolLimits, 'init options.toolLimits')
  const given = options.store ?? new InMemorySessionStore()
  if (options.sessionLease !== undefined) {
    refuseUnknownKeys(options.sessionLease, ['ttlMs', 'ownerId', 'waitMs'], 'init options.sessionLease')
  }
  const store = isContractSessionStore(given) ? new ContractStoreBridge(given, options.sessionLease) : given
  if (
    typeof store.load !== 'function' ||
    typeof store.save !== 'function' ||
    typeof store.delete !== 'function'
  ) {
    throw new InvalidArgumentError(
      'store',
      'store must implement load(), save() and delete() (see SessionStore).',
    )
  }
  if (harness && options.tools !== undefined) harness.checkTools?.(options.tools)
  const tools = harness ? (options.tools ?? []) : checkApplicationTools(options.tools as ToolSet | undefined)
  const telemetry = await createTelemetry(options.telemetry, {
    where: 'init options.telemetry',
    scope: TELEMETRY_SCOPE,
    importer: (specifier) => import(/* @vite-ignore */ specifier),
  })
  const [pythonBackendFactory, sandboxFactory] = await Promise.all([
    options.pythonBackend === undefined ? undefined : registry.resolvePythonBackend(options.pythonBackend),
    options.sandbox === undefined ? undefined : registry.resolveSandbox(options.sandbox),
  ])
  return new Agent({
    harness,
    model: options.model,
    pythonBackendFactory,
    sandboxFactory,
    sandboxPolicy: options.sandboxPolicy,
    instructions: options.instructions,
    tools,
    store: instrumentSessionStore(store, telemetry),
    maxSteps,
    maxOutputChars,
    resourceLimits: options.resourceLimits,
    toolLimits,
    telemetry,
  })
}

/** `undefined` for the built-in AI SDK loop; otherwise the `Harness` the setting names or is. */
async function resolveHarness(
  setting: string | Harness | undefined,
  registry: PyFlueRegistry,
): Promise<Harness | undefined> {
  if (setting === undefined || setting === AI_SDK_HARNESS) return undefined
  if (typeof setting !== 'string' && (typeof setting !== 'object' || setting === null)) {
    throw new InvalidArgumentError(
      'harness',
      `harness must be '${AI_SDK_HARNESS}', a registered harness name (${registry.harnessNames().join(', ')}) or a Harness object.`,
    )
  }
  let harness: Harness
  try {
    harness = await registry.resolveHarness(setting)
  } catch (error) {
    if (!(error instanceof NotRegisteredError)) throw error
    throw new NotRegisteredError({
      kind: 'harness',
      name: error.registeredName,
      known: [AI_SDK_HARNESS, ...error.known],
    })
  }
  if (typeof harness.checkModel !== 'function') {
    throw new InvalidArgumentError(
      'harness',
      `The harness '${String(harness.name)}' has no checkModel() method (see Harness).`,
    )
  }
  return harness
}
