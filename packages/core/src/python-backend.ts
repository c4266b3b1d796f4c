import type {
  PythonPause,
  PythonResumeAnswer,
  PythonResumeOptions,
  PythonStartOptions,
  PythonStartResult,
} from './python-pause.js'
import type { Sandbox } from './sandbox.js'
import type { PythonStateDelta } from './session-store.js'
import type { InferSchemaOutput, StandardSchemaV1 } from './standard-schema.js'

/**
 * The contract version this file describes. A backend states the version it implements in
 * `PythonBackend.contractVersion`; a new major version of the contract is a new number.
 */
export const PYTHON_BACKEND_CONTRACT_VERSION = 1 as const

/**
 * Limits every run has. A backend applies its defaults for each limit the caller leaves out
 * (backend-monty: 5 s and 256 MB); a run is never unlimited.
 */
export interface ResourceLimits {
  /** Wall-clock deadline for the whole run in seconds, time spent in external functions included. */
  maxDurationSecs?: number
  /** Heap memory cap in bytes. */
  maxMemory?: number
  /** Maximum number of heap allocations. */
  maxAllocations?: number
  /** Maximum Python call depth. */
  maxRecursionDepth?: number
}

/**
 * A JavaScript function Python may call. Positional arguments become the function's arguments;
 * when the Python call has keyword arguments, one plain object holding them follows the
 * positional ones. A returned promise is awaited. A thrown value of any kind becomes a Python
 * exception the snippet can catch.
 */
export type ExternalFunction = (...args: any[]) => unknown

/**
 * An external function declared with a Standard Schema for its parameters. Python may call it
 * with keyword arguments or with positional ones in `parameters` order; the arguments are
 * validated before `execute` runs, and a validation failure is a Python `TypeError`.
 */
export interface ExternalFunctionDefinition<S extends StandardSchemaV1 = StandardSchemaV1> {
  /** Shown to models and used as the Python docstring. */
  description?: string
  /** A Standard Schema whose output is an object of named parameters. */
  parameters: S
  /**
   * Parameter names in positional order. Needed when the schema does not expose its keys (zod
   * objects and valibot objects do; see the backend README); also fixes their order.
   */
  parameterNames?: readonly string[]
  /** The Python return annotation used in signatures, e.g. `'int'`. Defaults to `'Any'`. */
  returns?: string
  /** Runs with the validated arguments object. */
  execute(args: InferSchemaOutput<S>): unknown
}

/** External functions by the Python name they are called by. */
export type ExternalFunctions = Record<string, ExternalFunction | ExternalFunctionDefinition<any>>

/** Options of one `run`. */
export interface PythonRunOptions<S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> {
  /** Names bound in Python for this run only; they do not persist unless the snippet assigns them. */
  inputs?: Record<string, unknown>
  /** JavaScript functions callable from Python during this run. */
  externalFunctions?: ExternalFunctions
  /** A Standard Schema the result must pass; `run` resolves with its output as `result`. */
  result?: S
  /** Limits for this run; omitted limits take the backend's defaults. */
  resourceLimits?: ResourceLimits
  /** Type-check the snippet before running it; problems reject with `PythonTypingError`. */
  typeCheck?: boolean
  /** Aborting rejects the run with an `AbortError` and leaves the session as it was before the run. */
  signal?: AbortSignal
  /** Called with each chunk of output the snippet prints, as it is printed. */
  onStdout?: (text: string) => void
  /** The file name in tracebacks. Defaults to `'<snippet>'`. */
  scriptName?: string
}

/** The keys of `PythonRunOptions`; a backend refuses any other with `InvalidArgumentError`. */
export const PYTHON_RUN_OPTION_KEYS = Object.keys({
  inputs: true,
  externalFunctions: true,
  result: true,
  resourceLimits: true,
  typeCheck: true,
  signal: true,
  onStdout: true,
  scriptName: true,
} satisfies Record<keyof PythonRunOptions, true>)

/** What a successful run resolves with. */
export interface PythonRunResult<T = unknown> {
  /** The value of the snippet's last expression (or `null`), converted by the backend's value table; the validated output when `result` was given. */
  result: T
  /** Everything the snippet printed, capped by the backend (with a truncation marker). */
  stdout: string
  /** The backend's name, e.g. `'monty'`. */
  backend: string
  /** Wall-clock duration of the run in milliseconds. */
  durationMs: number
  /** Backend-specific facts about the run (never needed to use the result). */
  metadata: Record<string, unknown>
  /**
   * The names this run bound to values the session cannot carry to a later run, when there are
   * any (a backend that keeps everything, or keeps nothing between runs, leaves it out).
   * Each entry gives the name, the Python type of its value, and why it was not kept (an
   * iterator's position, a closure made by a call, a value that contains itself, ...).
   * Such a name is unbound after the run: the session never keeps a changed or partial value in
   * its place, and never drops one without listing it here.
   * A later run that reads the name fails with a `NameError` whose message says which earlier
   * run bound it and why it was not kept; binding the name again clears that.
   */
  notKept?: readonly PythonNotKept[]
}

/** A name a run bound to a value its session could not keep (`PythonRunResult.notKept`). */
export interface PythonNotKept {
  readonly name: string
  /** The Python type name of the value, e.g. `'function'`, `'list_iterator'`. */
  readonly type: string
  /** Why it was not kept, as a sentence a model can act on. */
  readonly reason: string
}

/** The result type of a run given its options. */
export type PythonRunResultFor<O> = O extends { result: infer S extends StandardSchemaV1 }
  ? PythonRunResult<InferSchemaOutput<S>>
  : PythonRunResult<unknown>

/** A JavaScript class whose instances cross into Python as dataclass instances. */
export type DataclassConstructor<T = any> = abstract new (...args: any[]) => T

/** How a registered class looks in Python. */
export interface DataclassSpec {
  /** Field names, in constructor order. */
  fields: readonly string[]
  /** The Python class name. Defaults to the JavaScript class name. */
  name?: string
  /** Frozen dataclasses refuse attribute assignment in Python. */
  frozen?: boolean
}

/** A variable of the session, as shown to models. */
export interface PythonVariableInfo {
  readonly name: string
  /** Python type name, e.g. `'int'`, `'list'`, `'function'`. */
  readonly type: string
  /** A short repr, truncated. */
  readonly preview?: string
}

/**
 * One Python session: one namespace that persists across runs.
 *
 * - `run(code, options)` executes a snippet in the session's namespace and resolves with a
 *   `PythonRunResult`. The snippet sees everything earlier runs defined. Its last expression
 *   statement is the result (`null` when the snippet ends with a statement).
 * - A run that rejects (syntax, Python exception, limit, abort, validation of inputs) leaves
 *   the namespace exactly as it was before the run. A failed `result` validation happens after
 *   the run committed: the namespace keeps the run's changes.
 * - Runs of one backend execute one at a time, in call order.
 * - Rejections are `PyFlueError`s: `PythonSyntaxError`, `PythonRuntimeError`,
 *   `PythonTypingError`, `PythonUnsupportedError`, `ResourceLimitError`,
 *   `ValueConversionError`, `ResultValidationError`; an abort rejects with a `DOMException`
 *   named `AbortError`.
 * - `dumpState()` resolves with bytes that begin with a magic header and a format version;
 *   `loadState(bytes)` on any backend of the same kind, in any process, continues exactly
 *   from them. Foreign, corrupt or truncated bytes reject with `StateFormatError` and leave
 *   the session unchanged.
 * - Incremental persistence (optional: a backend offers it by having `dumpStateDelta`):
 *   - `dumpStateDelta()` resolves what changed in the namespace since its baseline: each name
 *     bound, rebound or changed (a mutated list included), with bytes of the same versioned,
 *     checksummed format as `dumpState()`, and each name removed. The baseline is the state at
 *     the last `dumpStateDelta()` or `loadState()`, or at the backend's creation; `dumpState()`
 *     does not move it. Its cost follows what changed, not the namespace's size. A delta may
 *     name more than changed, never less.
 *   - `loadState(snapshot, deltas)` continues exactly the state the last of `deltas` was taken
 *     of, when `snapshot` is a `dumpState()` of the same session taken at or after the baseline
 *     of the first delta, and `deltas` are the deltas taken after it, in order. Foreign, corrupt
 *     or truncated delta bytes reject with `StateFormatError` and leave the session unchanged.
 *     A backend without `dumpStateDelta` given deltas rejects with `StateFormatError`.
 *   - `loadState` makes the loaded state the baseline of the next delta.
 * - Pausing (optional: a backend offers it by having `start` and `resume`; see
 *   `python-pause.ts` for the whole contract): `start` runs like `run` but pauses at the external
 *   calls `pauseOn` selects, resolving a `PythonPause` the caller keeps (as bytes, anywhere);
 *   `resume` continues it with the call's return value or exception, in this backend or another
 *   process's backend of the same session. The namespace commits only when the run finishes.
 * - `registerDataclass(cls, spec)` makes instances of `cls` cross as Python dataclasses both
 *   ways; registering the same class twice replaces the spec.
 * - `close()` releases resources; later calls reject with `ClosedError`. Closing twice is a no-op.
 */
export interface PythonBackend {
  /** The backend's name, e.g. `'monty'`. */
  readonly name: string
  /** The contract version implemented; `1` for this file. */
  readonly contractVersion: typeof PYTHON_BACKEND_CONTRACT_VERSION
  /**
   * The version of the engine whose `dumpState()` bytes this backend writes, e.g.
   * `'@pydantic/monty 0.0.18'`. Optional: a harness stores it beside a saved state and refuses to
   * load a state stored with another one.
   */
  readonly engineVersion?: string
  run<O extends PythonRunOptions<StandardSchemaV1 | undefined> = PythonRunOptions<undefined>>(
    code: string,
    options?: O,
  ): Promise<PythonRunResultFor<O>>
  dumpState(): Promise<Uint8Array>
  loadState(bytes: Uint8Array, deltas?: readonly PythonStateDelta[]): Promise<void>
  /** What changed since the last delta or load (see above). Optional. */
  dumpStateDelta?(): Promise<PythonStateDelta>
  /** Runs `code`, pausing at the external calls `options.pauseOn` selects (see above). Optional. */
  start?<O extends PythonStartOptions<StandardSchemaV1 | undefined>>(
    code: string,
    options?: O,
  ): Promise<PythonStartResult<PythonRunResultFor<O>['result']>>
  /** Continues a paused run with the paused call's outcome (see above). Optional, with `start`. */
  resume?<O extends PythonResumeOptions<StandardSchemaV1 | undefined>>(
    pause: PythonPause | Uint8Array,
    answer: PythonResumeAnswer,
    options?: O,
  ): Promise<PythonStartResult<PythonRunResultFor<O>['result']>>
  registerDataclass(cls: DataclassConstructor, spec: DataclassSpec): void
  /** The session's variables, for prompts. Optional: backends that cannot list them omit it. */
  listVariables?(): Promise<readonly PythonVariableInfo[]>
  /**
   * The Python signature of each external function, e.g. `'def double(value: int) -> int'`,
   * for prompts. Optional.
   */
  describeExternalFunctions?(functions: ExternalFunctions): readonly string[]
  close(): Promise<void>
}

/** What a backend factory is given for a session. */
export interface CreatePythonBackendOptions {
  /** The session's id. */
  sessionId: string
  /** The session's sandbox, if it has one: a backend may mount its files (see `Sandbox.hostMounts`). */
  sandbox?: Sandbox
}

/** Makes a backend for a session. Cheap to construct; work happens in `createBackend`. */
export interface PythonBackendFactory {
  /** The backend's name, e.g. `'monty'`. */
  readonly name: string
  createBackend(options: CreatePythonBackendOptions): Promise<PythonBackend>
}
