/**
 * `MontyBackend`, the engine's one entry: the session namespace, its persistence (`dumpState`,
 * deltas, `loadState`) and the public run methods. A run (`run`, `start`) or a resume is
 * queued, one at a time, and goes: checks, analysis and plan (`run-start.ts`, `run-plan.ts`),
 * execution through the `Executor` seam (a pool process or the calling thread, `execution.ts`),
 * driven pause by pause (`run-pipeline.ts`, `run-drive.ts`, `host-calls.ts`), paused
 * (`run-pause.ts`) or read back and committed (`run-commit.ts`).
 */
import {
  ClosedError,
  type DataclassConstructor,
  type DataclassSpec,
  type ExternalFunctions,
  type HostDirectoryMount,
  InvalidArgumentError,
  instrumentPythonBackend,
  OBSERVE_TELEMETRY,
  PYTHON_BACKEND_CONTRACT_VERSION,
  type PythonBackend,
  type PythonPause,
  type PythonResumeAnswer,
  type PythonResumeOptions,
  type PythonRunOptions,
  type PythonRunResultFor,
  type PythonStartOptions,
  type PythonStartResult,
  type PythonStateDelta,
  type PythonVariableInfo,
  type ResourceLimits,
  refuseUnknownKeys,
  type Sandbox,
  type StandardSchemaV1,
  TELEMETRY_ATTRIBUTES,
  type Telemetry,
} from '@pyflue/core'
import { DataclassRegistry } from './dataclass-registry.js'
import { montyEngineVersion } from './engine-version.js'
import type { Execution } from './execution.js'
import { prepareExternals, pythonSignature } from './external-functions.js'
import { hostPathRedactor, redactError } from './host-paths.js'
import { IN_THREAD_EXECUTOR } from './in-thread-execution.js'
import {
  checkExecution,
  DEFAULT_MAX_STDOUT_BYTES,
  DEFAULT_MAX_WRITE_BYTES_PER_RUN,
  DEFAULT_RESOURCE_LIMITS,
  IN_THREAD,
  MONTY_BACKEND_OPTION_KEYS,
  type MontyBackendOptions,
  montyTelemetry,
} from './monty-backend-options.js'
import { type MontyPool, MontyPool as MontyPoolClass, sharedMontyPool } from './monty-pool.js'
import { ProgramCache } from './program-builder.js'
import { checkLimits } from './run-limits.js'
import type { RunMounts } from './run-mounts.js'
import { asStartResult } from './run-pipeline.js'
import { type RunEngine, resumeRun, startRun } from './run-start.js'
import { dumpSessionState, emptyState, loadSessionState, type SessionState } from './session-state.js'
import { applyDeltas, DeltaBaseline } from './state-delta.js'
import { type ValueBudgetLimits, valueBudgetLimits } from './value-budget.js'
import { describeMontyValue, pythonTypeOf } from './value-description.js'

/** Makes a Monty backend directly, without a factory or a harness. */
export function createMontyBackend(options: MontyBackendOptions = {}): MontyBackend {
  return new MontyBackend(options)
}

/** A `PythonBackend` on `@pydantic/monty`: one Python namespace that persists across runs. */
export class MontyBackend implements PythonBackend {
  readonly name = 'monty'
  readonly contractVersion = PYTHON_BACKEND_CONTRACT_VERSION
  /** The `@pydantic/monty` release, recorded with saved states so another release refuses them. */
  readonly engineVersion = montyEngineVersion()
  #state: SessionState = emptyState()
  /** Which object each name held at the last delta or load: what `dumpStateDelta` compares with. */
  readonly #baseline = new DeltaBaseline()
  readonly #dataclasses = new DataclassRegistry()
  readonly #sandbox: Sandbox | undefined
  readonly #extraMounts: readonly HostDirectoryMount[]
  readonly #maxWriteBytes: number
  readonly #pool: MontyPool | undefined
  /** The mounts of the run in progress, or of the last run. */
  #mounts: RunMounts | undefined
  /** The execution of the run in progress, so `close()` can stop it. */
  #current: Execution | undefined
  readonly #defaults: ResourceLimits
  readonly #maxStdoutBytes: number
  readonly #valueLimits: ValueBudgetLimits
  readonly #scriptName: string
  #queue: Promise<unknown> = Promise.resolve()
  /** Built programs by plan (snippet, re-emitted definitions by seq, wrappers, collected names). */
  readonly #programs = new ProgramCache()
  #closed = false
  /** Aborted by `close()` with a `ClosedError`: a run in progress rejects with it at once. */
  readonly #closer = new AbortController()
  /** What `run-start.ts` and `run-pipeline.ts` need of this backend (made by the constructor). */
  readonly #engine: RunEngine

  constructor(options: MontyBackendOptions = {}) {
    refuseUnknownKeys(options, MONTY_BACKEND_OPTION_KEYS, 'montyBackend options')
    this.#defaults = { ...DEFAULT_RESOURCE_LIMITS, ...checkLimits(options.defaultLimits, 'defaultLimits') }
    this.#maxStdoutBytes = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES
    if (!Number.isFinite(this.#maxStdoutBytes) || this.#maxStdoutBytes < 0) {
      throw new InvalidArgumentError('maxStdoutBytes', 'maxStdoutBytes must be a non-negative number.')
    }
    this.#scriptName = options.scriptName ?? '<snippet>'
    this.#valueLimits = valueBudgetLimits(
      options.maxValueNodes,
      options.maxValueBytes,
      (argument, message) => {
        throw new InvalidArgumentError(argument, message)
      },
    )
    checkExecution(options.execution)
    const inThread = options.execution === IN_THREAD
    if (inThread && options.pool !== undefined) {
      throw new InvalidArgumentError('pool', "A pool is used only with execution: 'pool'.")
    }
    if (options.pool !== undefined && !(options.pool instanceof MontyPoolClass)) {
      throw new InvalidArgumentError('pool', 'pool must be a MontyPool made by createMontyPool().')
    }
    this.#pool = inThread ? undefined : (options.pool ?? sharedMontyPool())
    this.#sandbox = options.sandbox
    this.#extraMounts = [...(options.mounts ?? [])]
    this.#maxWriteBytes = options.maxWriteBytesPerRun ?? DEFAULT_MAX_WRITE_BYTES_PER_RUN
    if (!Number.isFinite(this.#maxWriteBytes) || this.#maxWriteBytes < 0) {
      throw new InvalidArgumentError(
        'maxWriteBytesPerRun',
        'maxWriteBytesPerRun must be a non-negative number.',
      )
    }
    const backend = this
    this.#engine = {
      name: this.name,
      engineVersion: this.engineVersion,
      get state() {
        return backend.#state
      },
      executor: this.#pool ?? IN_THREAD_EXECUTOR,
      closer: this.#closer.signal,
      dataclasses: this.#dataclasses,
      valueLimits: this.#valueLimits,
      programs: this.#programs,
      knownMounts: () => this.#knownMounts(),
      setCurrent: (execution) => {
        this.#current = execution
      },
      checkOpen: () => this.#checkOpen(),
      defaults: this.#defaults,
      maxStdoutBytes: this.#maxStdoutBytes,
      scriptName: this.#scriptName,
      sandbox: this.#sandbox,
      extraMounts: this.#extraMounts,
      maxWriteBytes: this.#maxWriteBytes,
      pool: this.#pool,
      setMounts: (mounts) => {
        this.#mounts = mounts
      },
    }
    const telemetry = montyTelemetry(options.telemetry, 'montyBackend options.telemetry')
    // With telemetry the caller gets the instrumented backend (a Proxy over this one).
    // biome-ignore lint/correctness/noConstructorReturn: the instrumented backend stands for this one
    if (telemetry.enabled) return instrumentPythonBackend(this, telemetry) as this
  }

  /** Reports the pool's figures in the pool gauges of the telemetry this backend is instrumented with. */
  [OBSERVE_TELEMETRY](telemetry: Telemetry): void {
    if (this.#pool) telemetry.observePool(this.#pool, { [TELEMETRY_ATTRIBUTES.backend]: this.name })
  }

  /** The mounts errors are scrubbed of: the current or last run's (host directories do not move). */
  #knownMounts(): readonly HostDirectoryMount[] {
    return this.#mounts?.mounts ?? [...(this.#sandbox?.hostMounts?.() ?? []), ...this.#extraMounts]
  }

  run<O extends PythonRunOptions<StandardSchemaV1 | undefined> = PythonRunOptions<undefined>>(
    code: string,
    options?: O,
  ): Promise<PythonRunResultFor<O>> {
    return this.#redacted(() => startRun(this.#engine, code, options ?? {}, false)) as Promise<
      PythonRunResultFor<O>
    >
  }

  /** Runs `code`, pausing at the external calls `options.pauseOn` selects (`python-pause.ts` in core). */
  start<O extends PythonStartOptions<StandardSchemaV1 | undefined>>(
    code: string,
    options?: O,
  ): Promise<PythonStartResult<PythonRunResultFor<O>['result']>> {
    return this.#redacted(() => startRun(this.#engine, code, options ?? {}, true)).then(
      asStartResult,
    ) as Promise<PythonStartResult<PythonRunResultFor<O>['result']>>
  }

  /** Continues a paused run with its call's outcome, in this or another process's backend. */
  resume<O extends PythonResumeOptions<StandardSchemaV1 | undefined>>(
    pause: PythonPause | Uint8Array,
    answer: PythonResumeAnswer,
    options?: O,
  ): Promise<PythonStartResult<PythonRunResultFor<O>['result']>> {
    return this.#redacted(() => resumeRun(this.#engine, pause, answer, options ?? {})).then(
      asStartResult,
    ) as Promise<PythonStartResult<PythonRunResultFor<O>['result']>>
  }

  /** Queues a run; its mounts end with it, and its errors name sandbox paths, never host paths. */
  #redacted<T>(task: () => Promise<T>): Promise<T> {
    return this.#enqueue(() =>
      task()
        // A run that failed before it started still ends its mounts (`run-mounts.ts`).
        .finally(() => this.#mounts?.release())
        .catch((error: unknown) => {
          throw redactError(error, hostPathRedactor(this.#knownMounts()))
        }),
    )
  }

  dumpState(): Promise<Uint8Array> {
    return this.#enqueue(async () => dumpSessionState(this.#state))
  }

  loadState(bytes: Uint8Array, deltas?: readonly PythonStateDelta[]): Promise<void> {
    return this.#enqueue(async () => {
      if (deltas !== undefined && !Array.isArray(deltas)) {
        throw new InvalidArgumentError('deltas', 'deltas must be an array of Python state deltas.')
      }
      const loaded = await loadSessionState(bytes)
      this.#state = deltas && deltas.length > 0 ? await applyDeltas(loaded, deltas) : loaded
      this.#baseline.reset(this.#state)
      this.#programs.clear()
    })
  }

  /** What changed since the last delta or load (see the `PythonBackend` contract). */
  dumpStateDelta(): Promise<PythonStateDelta> {
    return this.#enqueue(async () => this.#baseline.take(this.#state))
  }

  registerDataclass(cls: DataclassConstructor, spec: DataclassSpec): void {
    this.#checkOpen()
    this.#dataclasses.register(cls, spec)
  }

  listVariables(): Promise<readonly PythonVariableInfo[]> {
    return this.#enqueue(async () => {
      const variables: PythonVariableInfo[] = []
      for (const [name, value] of this.#state.data) {
        variables.push({ name, type: pythonTypeOf(value), preview: describeMontyValue(value, 80) })
      }
      for (const definition of this.#state.definitions.values()) {
        variables.push({
          name: definition.name,
          type: definition.valueType ?? (definition.kind === 'import' ? 'module' : 'function'),
          preview: (definition.kind === 'alias'
            ? definition.source.split('\n').at(-1)!.replaceAll('__pf_mod_', '')
            : definition.source.split('\n')[0]!
          ).slice(0, 80),
        })
      }
      return variables.sort((a, b) => a.name.localeCompare(b.name))
    })
  }

  describeExternalFunctions(functions: ExternalFunctions): readonly string[] {
    return [...prepareExternals(functions).values()].map((external) => {
      const doc = external.definition?.description
      return doc ? `${pythonSignature(external)}  # ${doc}` : pythonSignature(external)
    })
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#closer.abort(new ClosedError('python backend'))
    this.#state = emptyState()
    this.#programs.clear()
    this.#current?.dispose(new ClosedError('python backend'))
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('python backend')
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(() => {
      this.#checkOpen()
      return task()
    })
    this.#queue = next.catch(() => {})
    return next
  }
}
