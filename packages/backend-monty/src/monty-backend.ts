/**
 * `MontyBackend`, the engine's one entry: a run is analysed (`analysis-cache.ts`), planned
 * (`run-plan.ts`), built (`program-builder.ts`), executed through the `Executor` seam (a pool
 * process or the calling thread, `execution.ts`), driven pause by pause (`run-drive.ts`,
 * `host-calls.ts`), read back and committed (`run-commit.ts`). Runs are queued one at a time.
 */
import { performance } from 'node:perf_hooks'
import {
  ClosedError,
  createAbortError,
  type DataclassConstructor,
  type DataclassSpec,
  type ExternalFunctions,
  type HostDirectoryMount,
  InvalidArgumentError,
  instrumentPythonBackend,
  OBSERVE_TELEMETRY,
  PYTHON_BACKEND_CONTRACT_VERSION,
  PYTHON_RUN_OPTION_KEYS,
  type PythonBackend,
  type PythonRunOptions,
  type PythonRunResult,
  type PythonRunResultFor,
  type PythonStateDelta,
  PythonUnsupportedError,
  type PythonVariableInfo,
  type ResourceLimits,
  raceAbort,
  refuseUnknownKeys,
  type Sandbox,
  type StandardSchemaV1,
  TELEMETRY_ATTRIBUTES,
  type Telemetry,
  validateWithSchema,
} from '@pyflue/core'
import { analysisOf } from './analysis-cache.js'
import { DataclassRegistry } from './dataclass-registry.js'
import { montyEngineVersion } from './engine-version.js'
import type { Execution, ExecutionRequest, Step } from './execution.js'
import { prepareExternals, pythonSignature, wrapperSource } from './external-functions.js'
import { answerHostCall } from './host-calls.js'
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
import { explainNotKept } from './not-kept.js'
import { buildProgram, ProgramCache, renamedInput } from './program-builder.js'
import { commitRun, type RunOutput, readRunOutput } from './run-commit.js'
import { driveExecution } from './run-drive.js'
import { toPyFlueError } from './run-errors.js'
import { runInputsOf } from './run-inputs.js'
import { checkLimits, montyLimitsOf, RunClock, raceDeadline } from './run-limits.js'
import { openRunMounts, type RunMounts } from './run-mounts.js'
import { planRun } from './run-plan.js'
import { StdoutCapture } from './run-stdout.js'
import { typeCheckRun } from './run-type-check.js'
import { dumpSessionState, emptyState, loadSessionState, type SessionState } from './session-state.js'
import { applyDeltas, DeltaBaseline } from './state-delta.js'
import { type ValueBudgetLimits, valueBudgetLimits } from './value-budget.js'
import { describeMontyValue, pythonTypeOf } from './value-description.js'
import { whileOpen } from './while-open.js'

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
    return this.#enqueue(() =>
      this.#run(code, options ?? {})
        // A run that failed before it started still ends its mounts (`run-mounts.ts`).
        .finally(() => this.#mounts?.release())
        .catch((error: unknown) => {
          // Errors name sandbox paths, never host paths (`host-paths.ts`).
          throw redactError(error, hostPathRedactor(this.#knownMounts()))
        }),
    ) as Promise<PythonRunResultFor<O>>
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
          type: definition.kind === 'import' ? 'module' : 'function',
          preview: definition.source.split('\n')[0]!.slice(0, 80),
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

  async #run(
    code: string,
    options: PythonRunOptions<StandardSchemaV1 | undefined>,
  ): Promise<PythonRunResult> {
    const started = performance.now()
    const signal = options.signal
    if (signal?.aborted) throw createAbortError(signal)
    if (typeof code !== 'string') throw new InvalidArgumentError('code', 'The code to run must be a string.')
    refuseUnknownKeys(options, PYTHON_RUN_OPTION_KEYS, 'run options')
    const scriptName = options.scriptName ?? this.#scriptName
    const limits = { ...this.#defaults, ...checkLimits(options.resourceLimits, 'resourceLimits') }
    // The deadline counts from the call; time spent waiting for a pool process is given back.
    const clock = new RunClock(limits.maxDurationSecs!)
    const state = this.#state

    const analysis = await whileOpen(this.#closer.signal, analysisOf(code, this.#pool, limits, clock, signal))
    if (analysis.unsupported) throw new PythonUnsupportedError(analysis.unsupported)

    const runInputs = runInputsOf(options.inputs, this.#dataclasses, this.#valueLimits)
    const plan = planRun({
      code,
      scriptName,
      analysis,
      state,
      runInputs,
      externals: prepareExternals(options.externalFunctions),
      isDataclass: (name) => this.#dataclasses.byName(name) !== undefined,
    })
    const { externals, shadowed, emitted, collect, collectAfterMarker, montyInputs } = plan
    const { renamedInputs, wrapped } = plan
    const program = this.#programs.get(plan.key, () =>
      buildProgram({
        scriptName,
        declare: [...plan.declare],
        wrappers: wrapped.map(wrapperSource),
        definitions: [...plan.definitions],
        userCode: code,
        ...(analysis.lastExpression ? { lastExpression: analysis.lastExpression } : {}),
        collect: [...collect],
        collectAfterMarker: [...collectAfterMarker],
        renamedInputs: [...renamedInputs],
        sessionValues: [...plan.sessionValues],
      }),
    )

    if (options.typeCheck) {
      await whileOpen(
        this.#closer.signal,
        typeCheckRun(
          {
            code,
            scriptName,
            analysis,
            runInputs,
            externals,
            emitted,
            data: state.data,
            dataclasses: this.#dataclasses,
          },
          this.#pool,
          limits,
          clock,
          signal,
        ),
      )
    }

    const runMounts = await openRunMounts(this.#sandbox, this.#extraMounts, this.#maxWriteBytes)
    this.#mounts = runMounts
    const mounts = runMounts.mounts
    // With a mount, Monty's run() turns a call of an undefined name into an uncatchable "External
    // function ... called" error, so such runs pause instead and the call gets its `NameError`.
    const canPause = mounts.length > 0 || plan.mayPause
    const stdout = new StdoutCapture(this.#maxStdoutBytes, options.onStdout)

    const montyLimits = montyLimitsOf(limits)
    const passedInputs: Record<string, unknown> = { ...montyInputs }
    for (const name of renamedInputs) {
      passedInputs[renamedInput(name)] = passedInputs[name]
      delete passedInputs[name]
    }
    const request: ExecutionRequest = {
      source: program.source,
      scriptName,
      inputNames: Object.keys(passedInputs),
      inputs: passedInputs,
      limits: montyLimits,
      valueLimits: this.#valueLimits,
      clock,
      canPause,
      printCallback: stdout.print,
    }
    const execution = await (this.#pool ?? IN_THREAD_EXECUTOR).execution(request, mounts, signal)
    if (signal?.aborted) {
      execution.dispose(createAbortError(signal))
      throw createAbortError(signal)
    }
    this.#current = execution
    const onAbort = () => execution.dispose(createAbortError(signal))
    signal?.addEventListener('abort', onAbort, { once: true })
    const guard = (promise: Promise<Step>) =>
      whileOpen(this.#closer.signal, signal ? raceAbort(promise, signal) : promise)
    let output: unknown
    try {
      output = await driveExecution(execution, {
        guard,
        lookup: (name) =>
          !shadowed(name) && state.data.has(name) ? { value: state.data.get(name) } : undefined,
        answer: (call) =>
          whileOpen(
            this.#closer.signal,
            answerHostCall(call, {
              externals,
              dataclasses: this.#dataclasses,
              valueLimits: this.#valueLimits,
              clock,
              maxDurationSecs: limits.maxDurationSecs!,
              signal,
              redact: (message) => hostPathRedactor(this.#knownMounts())(message),
            }),
          ),
        signal,
        deadline: clock.deadline,
        maxDurationSecs: limits.maxDurationSecs!,
      })
    } catch (error) {
      throw explainNotKept(toPyFlueError(error, program, analysis, limits), state)
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.#current = undefined
      execution.dispose()
      // Before the commit: a run the sandbox refuses at its end leaves the namespace as it was.
      await runMounts.release()
    }

    // Closed while the run was in progress: it ends with the closed error, never a result.
    this.#checkOpen()
    // Check everything before changing the namespace: a refused result leaves it as it was.
    const names = [...collect, ...collectAfterMarker]
    const { result, outcomes } = readRunOutput(
      output as RunOutput,
      names,
      this.#dataclasses,
      this.#valueLimits,
    )
    const notKept = commitRun(state, names, outcomes, analysis.definitions.values(), scriptName)

    // Validation is the caller's code: it runs under the run's deadline, signal and close().
    const finalResult = options.result
      ? await whileOpen(
          this.#closer.signal,
          raceDeadline(
            Promise.resolve().then(() => validateWithSchema(options.result!, result)),
            clock.deadline,
            limits.maxDurationSecs!,
            signal,
          ),
        )
      : result
    const metadata: Record<string, unknown> = { programBytes: program.source.length }
    if (stdout.truncated) metadata.stdoutTruncated = true
    return {
      result: finalResult,
      stdout: stdout.text(),
      backend: this.name,
      durationMs: performance.now() - started,
      ...(notKept.length > 0 ? { notKept } : {}),
      metadata,
    }
  }
}
