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
  PYTHON_RESUME_OPTION_KEYS,
  PYTHON_RUN_OPTION_KEYS,
  PYTHON_START_OPTION_KEYS,
  type PythonBackend,
  type PythonPause,
  type PythonResumeAnswer,
  type PythonResumeOptions,
  type PythonRunOptions,
  type PythonRunResult,
  type PythonRunResultFor,
  type PythonStartOptions,
  type PythonStartResult,
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
import { answerHostCall, callArguments, externalOfCall } from './host-calls.js'
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
import { buildProgram, type Program, ProgramCache, renamedInput } from './program-builder.js'
import { commitRun, type RunOutput, readRunOutput } from './run-commit.js'
import { type DriveFrom, type DriveOutcome, driveExecution } from './run-drive.js'
import { toPyFlueError } from './run-errors.js'
import { runInputsOf } from './run-inputs.js'
import { checkLimits, montyLimitsOf, RunClock, raceDeadline } from './run-limits.js'
import { openRunMounts, type RunMounts } from './run-mounts.js'
import {
  answerOf,
  callSite,
  checkPauseOptions,
  makePause,
  type PausePayload,
  pauseHeader,
  readPause,
  selectsCall,
} from './run-pause.js'
import { planRun, type RunPlan } from './run-plan.js'
import { StdoutCapture } from './run-stdout.js'
import { typeCheckRun } from './run-type-check.js'
import {
  dumpSessionState,
  emptyState,
  loadSessionState,
  type SessionState,
  stateVersionOf,
} from './session-state.js'
import type { SnippetAnalysis } from './snippet-analysis.js'
import { applyDeltas, DeltaBaseline } from './state-delta.js'
import { ValueBudget, type ValueBudgetLimits, valueBudgetLimits } from './value-budget.js'
import { toMonty } from './value-conversion.js'
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
    return this.#redacted(() => this.#run(code, options ?? {}, false)) as Promise<PythonRunResultFor<O>>
  }

  /** Runs `code`, pausing at the external calls `options.pauseOn` selects (`python-pause.ts` in core). */
  start<O extends PythonStartOptions<StandardSchemaV1 | undefined>>(
    code: string,
    options?: O,
  ): Promise<PythonStartResult<PythonRunResultFor<O>['result']>> {
    return this.#redacted(() => this.#run(code, options ?? {}, true)).then(asStartResult) as Promise<
      PythonStartResult<PythonRunResultFor<O>['result']>
    >
  }

  /** Continues a paused run with its call's outcome, in this or another process's backend. */
  resume<O extends PythonResumeOptions<StandardSchemaV1 | undefined>>(
    pause: PythonPause | Uint8Array,
    answer: PythonResumeAnswer,
    options?: O,
  ): Promise<PythonStartResult<PythonRunResultFor<O>['result']>> {
    return this.#redacted(() => this.#resume(pause, answer, options ?? {})).then(asStartResult) as Promise<
      PythonStartResult<PythonRunResultFor<O>['result']>
    >
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

  /**
   * One run from its code: analysed, planned, built, executed and driven. With `pausing` (from
   * `start`), a selected external call pauses it instead (`#drive`).
   */
  async #run(
    code: string,
    options: PythonStartOptions<StandardSchemaV1 | undefined>,
    pausing: boolean,
  ): Promise<PythonRunResult | PythonPause> {
    const started = performance.now()
    const signal = options.signal
    if (signal?.aborted) throw createAbortError(signal)
    if (typeof code !== 'string') throw new InvalidArgumentError('code', 'The code to run must be a string.')
    refuseUnknownKeys(
      options,
      pausing ? [...PYTHON_RUN_OPTION_KEYS, ...PYTHON_START_OPTION_KEYS] : PYTHON_RUN_OPTION_KEYS,
      pausing ? 'start options' : 'run options',
    )
    if (pausing) checkPauseOptions(options)
    const scriptName = options.scriptName ?? this.#scriptName
    const limits = { ...this.#defaults, ...checkLimits(options.resourceLimits, 'resourceLimits') }
    // The deadline counts from the call; time spent waiting for a pool process is given back.
    const clock = new RunClock(limits.maxDurationSecs!)
    const state = this.#state

    const analysis = await whileOpen(this.#closer.signal, analysisOf(code, this.#pool, limits, clock, signal))
    if (analysis.unsupported) throw new PythonUnsupportedError(analysis.unsupported)

    const runInputs = runInputsOf(options.inputs, this.#dataclasses, this.#valueLimits)
    const { plan, program } = this.#plan(code, scriptName, analysis, runInputs, options.externalFunctions)

    if (options.typeCheck) {
      await whileOpen(
        this.#closer.signal,
        typeCheckRun(
          {
            code,
            scriptName,
            analysis,
            runInputs,
            externals: plan.externals,
            emitted: plan.emitted,
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
    // With a mount, Monty's run() turns a call of an undefined name into an uncatchable "External
    // function ... called" error, so such runs pause instead and the call gets its `NameError`.
    const canPause = pausing || runMounts.mounts.length > 0 || plan.mayPause
    const stdout = new StdoutCapture(this.#maxStdoutBytes, options.onStdout)
    const passedInputs: Record<string, unknown> = { ...plan.montyInputs }
    for (const name of plan.renamedInputs) {
      passedInputs[renamedInput(name)] = passedInputs[name]
      delete passedInputs[name]
    }
    const request: ExecutionRequest = {
      source: program.source,
      scriptName,
      inputNames: Object.keys(passedInputs),
      inputs: passedInputs,
      limits: montyLimitsOf(limits),
      valueLimits: this.#valueLimits,
      clock,
      canPause,
      printCallback: stdout.print,
    }
    return this.#drive({
      code,
      scriptName,
      inputNames: [...runInputs.keys()],
      analysis,
      plan,
      program,
      limits,
      clock,
      request,
      runMounts,
      stdout,
      started,
      options,
      pausing,
    })
  }

  /** Continues a paused run (`resume`): checked, planned again, loaded and driven on. */
  async #resume(
    pause: PythonPause | Uint8Array,
    answer: PythonResumeAnswer,
    options: PythonResumeOptions<StandardSchemaV1 | undefined>,
  ): Promise<PythonRunResult | PythonPause> {
    const started = performance.now()
    const signal = options.signal
    if (signal?.aborted) throw createAbortError(signal)
    refuseUnknownKeys(options, PYTHON_RESUME_OPTION_KEYS, 'resume options')
    checkPauseOptions(options)
    const state = this.#state
    const { header, payload } = readPause(pause, this, stateVersionOf(state))
    const from = {
      answer: answerOf(answer, (value) =>
        toMonty(
          value,
          `${header.functionName}() return value`,
          this.#dataclasses,
          new ValueBudget(this.#valueLimits),
        ),
      ),
      afterMarker: payload.afterMarker,
    }
    const { code, scriptName, limits } = payload
    // The deadline covers running time: what the run had left when it paused.
    const clock = new RunClock(Math.max(0, limits.maxDurationSecs! * 1000 - header.runningMs) / 1000)
    const analysis = await whileOpen(this.#closer.signal, analysisOf(code, this.#pool, limits, clock, signal))
    const runInputs = new Map(payload.inputNames.map((name) => [name, null]))
    const { plan, program } = this.#plan(code, scriptName, analysis, runInputs, options.externalFunctions)
    if (plan.key !== payload.planKey) {
      throw new InvalidArgumentError(
        'externalFunctions',
        'resume must be given the same external functions (names and kinds) and dataclasses as start.',
      )
    }
    const stdout = new StdoutCapture(
      this.#maxStdoutBytes,
      options.onStdout,
      header.stdout,
      payload.stdoutTruncated,
    )
    const request: ExecutionRequest = {
      source: program.source,
      scriptName,
      inputNames: [],
      inputs: {},
      limits: montyLimitsOf(limits),
      valueLimits: this.#valueLimits,
      clock,
      canPause: true,
      printCallback: stdout.print,
      resumeFrom: payload.snapshot,
    }
    return this.#drive(
      {
        code,
        scriptName,
        inputNames: payload.inputNames,
        analysis,
        plan,
        program,
        limits,
        clock,
        request,
        runMounts: undefined,
        stdout,
        started,
        options,
        pausing: true,
      },
      from,
    )
  }

  /** The plan of a run and its program (built once per plan). */
  #plan(
    code: string,
    scriptName: string,
    analysis: SnippetAnalysis,
    runInputs: ReadonlyMap<string, unknown>,
    externalFunctions: ExternalFunctions | undefined,
  ): { plan: RunPlan; program: Program } {
    const plan = planRun({
      code,
      scriptName,
      analysis,
      state: this.#state,
      runInputs,
      externals: prepareExternals(externalFunctions),
      isDataclass: (name) => this.#dataclasses.byName(name) !== undefined,
    })
    const program = this.#programs.get(plan.key, () =>
      buildProgram({
        scriptName,
        declare: [...plan.declare],
        wrappers: plan.wrapped.map(wrapperSource),
        definitions: [...plan.definitions],
        userCode: code,
        ...(analysis.lastExpression ? { lastExpression: analysis.lastExpression } : {}),
        collect: [...plan.collect],
        collectAfterMarker: [...plan.collectAfterMarker],
        renamedInputs: [...plan.renamedInputs],
        sessionValues: [...plan.sessionValues],
      }),
    )
    return { plan, program }
  }

  /**
   * Executes a planned run and drives it to its end: a pause (`pausing` and a selected call:
   * the program is dumped and nothing commits) or completion (read back and committed).
   */
  async #drive(run: DrivenRun, from?: DriveFrom): Promise<PythonRunResult | PythonPause> {
    const { plan, program, analysis, limits, clock, request, options } = run
    const { signal } = options
    const state = this.#state
    const mounts = run.runMounts?.mounts ?? []
    const execution = await (this.#pool ?? IN_THREAD_EXECUTOR).execution(request, mounts, signal)
    if (signal?.aborted) {
      execution.dispose(createAbortError(signal))
      throw createAbortError(signal)
    }
    this.#current = execution
    const onAbort = () => execution.dispose(createAbortError(signal))
    signal?.addEventListener('abort', onAbort, { once: true })
    const guard = <T>(promise: Promise<T>) =>
      whileOpen(this.#closer.signal, signal ? raceAbort(promise, signal) : promise)
    let outcome: DriveOutcome
    let pause: PythonPause | undefined
    try {
      outcome = await driveExecution(
        execution,
        {
          guard,
          lookup: (name) =>
            !plan.shadowed(name) && state.data.has(name) ? { value: state.data.get(name) } : undefined,
          answer: (call) =>
            whileOpen(
              this.#closer.signal,
              answerHostCall(call, {
                externals: plan.externals,
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
          ...(run.pausing ? { pauseAt: (call: CallStep) => this.#pausesAt(call, plan, options) } : {}),
        },
        from,
      )
      if (outcome.kind === 'paused') pause = this.#pauseOf(run, outcome, await guard(execution.dump()))
    } catch (error) {
      throw explainNotKept(toPyFlueError(error, program, analysis, limits), state)
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.#current = undefined
      execution.dispose()
      // Before the commit: a run the sandbox refuses at its end leaves the namespace as it was.
      await run.runMounts?.release()
    }
    // Closed while the run was in progress: it ends with the closed error, never a result.
    this.#checkOpen()
    if (pause) return pause
    return this.#finish(run, (outcome as Extract<DriveOutcome, { kind: 'complete' }>).output)
  }

  /** Whether a run of `start`/`resume` pauses at `call`: an external's call that `pauseOn` selects. */
  #pausesAt(call: CallStep, plan: RunPlan, options: PythonStartOptions): boolean {
    const external = externalOfCall(call.name, plan.externals)
    if (!external) return false
    let args: { args: unknown[]; kwargs: Record<string, unknown> }
    try {
      args = callArguments(call, external.name, this.#dataclasses, this.#valueLimits)
    } catch {
      return false // arguments that cannot cross: the call raises TypeError as in run
    }
    return selectsCall(options.pauseOn, { name: external.name, ...args })
  }

  /** The `PythonPause` of a run paused at `outcome.call`, its program dumped as `snapshot`. */
  #pauseOf(
    run: DrivenRun,
    outcome: Extract<DriveOutcome, { kind: 'paused' }>,
    snapshot: Uint8Array,
  ): PythonPause {
    const external = externalOfCall(outcome.call.name, run.plan.externals)!
    const site = callSite(run.code, external.name)
    const expiresIn = run.options.pauseExpiresInMs
    const header = pauseHeader({
      backend: this.name,
      engineVersion: this.engineVersion,
      stateVersion: stateVersionOf(this.#state),
      ...(expiresIn === undefined ? {} : { expiresAt: Date.now() + expiresIn }),
      functionName: external.name,
      ...(site ?? {}),
      stdout: run.stdout.text(),
      runningMs: Math.max(0, run.limits.maxDurationSecs! * 1000 - (run.clock.deadline - Date.now())),
    })
    const payload: PausePayload = {
      code: run.code,
      scriptName: run.scriptName,
      inputNames: run.inputNames,
      planKey: run.plan.key,
      limits: run.limits,
      snapshot,
      afterMarker: outcome.afterMarker,
      rawCall: { name: outcome.call.name, args: [...outcome.call.args], kwargs: { ...outcome.call.kwargs } },
      stdoutTruncated: run.stdout.truncated,
    }
    const call = {
      name: external.name,
      ...callArguments(outcome.call, external.name, this.#dataclasses, this.#valueLimits),
    }
    return makePause(header, payload, call)
  }

  /** Reads a completed run's output back, commits it, and makes the run's result. */
  async #finish(run: DrivenRun, output: unknown): Promise<PythonRunResult> {
    const { plan, program, analysis, limits, clock, stdout, options, scriptName } = run
    const state = this.#state
    // Check everything before changing the namespace: a refused result leaves it as it was.
    const names = [...plan.collect, ...plan.collectAfterMarker]
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
            options.signal,
          ),
        )
      : result
    const metadata: Record<string, unknown> = { programBytes: program.source.length }
    if (stdout.truncated) metadata.stdoutTruncated = true
    return {
      result: finalResult,
      stdout: stdout.text(),
      backend: this.name,
      durationMs: performance.now() - run.started,
      ...(notKept.length > 0 ? { notKept } : {}),
      metadata,
    }
  }
}

type CallStep = Extract<Step, { kind: 'call' }>

/** A run's outcome as `start`/`resume` resolve it: a pause as it is, a finished run marked complete. */
function asStartResult(outcome: PythonRunResult | PythonPause): PythonStartResult {
  if ('status' in outcome && outcome.status === 'paused') return outcome
  return { ...(outcome as PythonRunResult), status: 'complete' }
}

/** A planned run on its way through `#drive` and `#finish`. */
interface DrivenRun {
  readonly code: string
  readonly scriptName: string
  readonly inputNames: readonly string[]
  readonly analysis: SnippetAnalysis
  readonly plan: RunPlan
  readonly program: Program
  readonly limits: ResourceLimits
  readonly clock: RunClock
  readonly request: ExecutionRequest
  readonly runMounts: RunMounts | undefined
  readonly stdout: StdoutCapture
  readonly started: number
  readonly options: PythonStartOptions<StandardSchemaV1 | undefined>
  readonly pausing: boolean
}
