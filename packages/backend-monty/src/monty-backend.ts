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
  PythonRuntimeError,
  type PythonStateDelta,
  PythonSyntaxError,
  PythonTypingError,
  PythonUnsupportedError,
  type PythonVariableInfo,
  ResourceLimitError,
  type ResourceLimits,
  raceAbort,
  refuseUnknownKeys,
  type Sandbox,
  type StandardSchemaV1,
  TELEMETRY_ATTRIBUTES,
  type Telemetry,
  type TelemetrySetting,
  telemetryFrom,
  validateWithSchema,
} from '@pyflue/core'
import { DataclassRegistry } from './dataclass-registry.js'
import { montyEngineVersion } from './engine-version.js'
import type { Execution, ExecutionRequest, Step } from './execution.js'
import {
  callExternal,
  type PreparedExternal,
  PythonRaise,
  prepareExternals,
  pythonSignature,
  RAW_EXTERNAL_PREFIX,
  toPythonRaise,
  typeStub,
  wrapperSource,
} from './external-functions.js'
import { hostPathRedactor, redactError } from './host-paths.js'
import { IN_THREAD_EXECUTOR } from './in-thread-execution.js'
import { MontyFailure } from './monty-failure.js'
import { type MontyPool, MontyPool as MontyPoolClass, sharedMontyPool } from './monty-pool.js'
import { explainNotKept } from './not-kept.js'
import { buildProgram, END_MARKER, mapTraceback, type Program, renamedInput } from './program-builder.js'
import { isUsablePythonName } from './python-names.js'
import { commitRun, type RunOutput, readRunOutput } from './run-commit.js'
import {
  checkLimits,
  durationError,
  isAbort,
  limitOf,
  montyLimitsOf,
  RunClock,
  raceDeadline,
} from './run-limits.js'
import { openRunMounts, type RunMounts } from './run-mounts.js'
import { planRun } from './run-plan.js'
import {
  dumpSessionState,
  emptyState,
  loadSessionState,
  type SessionState,
  type StoredDefinition,
} from './session-state.js'
import { analyzeSnippet, type SnippetAnalysis } from './snippet-analysis.js'
import { checkSnippetShape } from './snippet-shape.js'
import { applyDeltas, DeltaBaseline } from './state-delta.js'
import { typeCheckDiagnostics } from './type-check.js'
import { ValueBudget, type ValueBudgetLimits, valueBudgetLimits } from './value-budget.js'
import { fromMonty, toMonty } from './value-conversion.js'
import { describeMontyValue, pythonTypeOf, stubTypeOf } from './value-description.js'

/** Limits a run gets when the caller gives none. */
export const DEFAULT_RESOURCE_LIMITS: Readonly<
  Required<Pick<ResourceLimits, 'maxDurationSecs' | 'maxMemory'>>
> = Object.freeze({ maxDurationSecs: 5, maxMemory: 256 * 1024 * 1024 })

/** Default cap on captured `print` output per run. */
export const DEFAULT_MAX_STDOUT_BYTES = 1_000_000

/** Default cap on the bytes one run may write through a read-write mount (64 MiB). */
export const DEFAULT_MAX_WRITE_BYTES_PER_RUN = 64 * 1024 * 1024

/** Options of `createMontyBackend` and `montyBackend`. */
export interface MontyBackendOptions {
  /** A sandbox whose `hostMounts()` are mounted into Python (read-only when the mount says so). */
  sandbox?: Sandbox
  /** Host directories to mount, in addition to the sandbox's. */
  mounts?: readonly HostDirectoryMount[]
  /** Limits for runs that do not set them; merged over the defaults (5 s, 256 MB). */
  defaultLimits?: ResourceLimits
  /** Cap on captured `print` output per run, in bytes. Defaults to 1 000 000. */
  maxStdoutBytes?: number
  /**
   * Cap on the bytes one run may write through each read-write mount; a write past it is a
   * Python `OSError` the snippet can catch, and nothing of it is written. A mount's own
   * `writeBytesLimit` (a sandbox's remaining size budget) lowers it. Defaults to 64 MiB.
   */
  maxWriteBytesPerRun?: number
  /** The file name in tracebacks when a run does not name one. Defaults to `'<snippet>'`. */
  scriptName?: string
  /**
   * `'pool'` (default): every run executes in a pool process, off the calling thread, so a busy
   * snippet never stalls the host and an abort or the deadline kills it at once.
   * `'in-thread-trusted-code-only'`: every run executes on the calling thread (lowest latency),
   * for code you trust only: an abort then takes effect before the run and at its pauses
   * (external calls, name lookups), a busy loop blocks the thread until `maxDurationSecs`, native
   * operations ignore that limit, and a native crash (e.g. `json.dumps` of a 100 000-deep list)
   * takes the host process down. The old name `'in-thread'` is refused.
   */
  execution?: 'pool' | 'in-thread-trusted-code-only'
  /** The pool for `execution: 'pool'`. Default: the process-wide `sharedMontyPool()`. */
  pool?: MontyPool
  /**
   * Most values (nodes) one conversion across the boundary may hold: a run's inputs, its result
   * and changed variables, one external call's arguments, one external return. A part shared by
   * several references counts once per reference (Python copies it so). Default 1 000 000.
   */
  maxValueNodes?: number
  /** Most bytes of strings and byte strings one conversion may hold. Default 64 MiB. */
  maxValueBytes?: number
  /**
   * OpenTelemetry spans and metrics of this backend used alone, the same as the harness emits
   * (`pyflue.python.run`, `pyflue.python.external_call`, the run metrics, the pool gauges):
   * `{ tracer, meter, recordCode }`, `true` for the global providers of `@opentelemetry/api`
   * (scope `@pyflue/backend-monty`), or a `Telemetry`. Default off: nothing is wrapped. A harness
   * given this backend does not trace its runs a second time.
   */
  telemetry?: TelemetrySetting
}

/** The execution mode on the calling thread; its name says who may use it. */
const IN_THREAD = 'in-thread-trusted-code-only'

/** Refuses an unknown execution mode, and the old name `'in-thread'` with what replaced it and why. */
export function checkExecution(execution: unknown): void {
  if (execution === undefined || execution === 'pool' || execution === IN_THREAD) return
  if (execution === 'in-thread') {
    throw new InvalidArgumentError(
      'execution',
      "execution: 'in-thread' was renamed to 'in-thread-trusted-code-only': on the calling thread, hostile " +
        'code can freeze the host (native operations ignore maxDurationSecs) or crash it (a native stack ' +
        "overflow), so use it only for code you trust, and 'pool' (the default) for model-written code.",
    )
  }
  throw new InvalidArgumentError(
    'execution',
    `execution must be 'pool' or '${IN_THREAD}'; got ${JSON.stringify(String(execution))}.`,
  )
}

/** The keys of `MontyBackendOptions`; any other is refused. */
export const MONTY_BACKEND_OPTION_KEYS = Object.keys({
  sandbox: true,
  mounts: true,
  defaultLimits: true,
  maxStdoutBytes: true,
  maxWriteBytesPerRun: true,
  scriptName: true,
  execution: true,
  pool: true,
  maxValueNodes: true,
  maxValueBytes: true,
  telemetry: true,
} satisfies Record<keyof MontyBackendOptions, true>)

/** The instrumentation scope of `telemetry: true` on this backend. */
export const MONTY_TELEMETRY_SCOPE = '@pyflue/backend-monty'

/** The backend's `Telemetry` from its `telemetry` option (checked; unknown keys refused). */
export function montyTelemetry(setting: TelemetrySetting | undefined, where: string): Telemetry {
  return telemetryFrom(setting, { where, scope: MONTY_TELEMETRY_SCOPE })
}

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
  #programs = new Map<string, Program>()
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
      const loaded = loadSessionState(bytes)
      this.#state = deltas && deltas.length > 0 ? applyDeltas(loaded, deltas) : loaded
      this.#baseline.reset(this.#state)
      this.#programs = new Map()
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
    this.#programs = new Map()
    this.#current?.dispose(new ClosedError('python backend'))
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('python backend')
  }

  /** `promise`, or the `ClosedError` as soon as `close()` is called (a later settlement is ignored). */
  #whileOpen<T>(promise: Promise<T>): Promise<T> {
    const closer = this.#closer.signal
    if (closer.aborted) {
      promise.catch(() => {})
      return Promise.reject(closer.reason)
    }
    return new Promise<T>((resolve, reject) => {
      const onClose = () => {
        promise.catch(() => {})
        reject(closer.reason)
      }
      closer.addEventListener('abort', onClose, { once: true })
      promise.then(
        (value) => {
          closer.removeEventListener('abort', onClose)
          resolve(value)
        },
        (error: unknown) => {
          closer.removeEventListener('abort', onClose)
          reject(error)
        },
      )
    })
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

    const analysis = await this.#whileOpen(this.#analysis(code, limits, clock, signal))
    if (analysis.unsupported) throw new PythonUnsupportedError(analysis.unsupported)

    const runInputs = new Map<string, unknown>()
    const inputBudget = new ValueBudget(this.#valueLimits)
    if (options.inputs !== undefined) {
      if (typeof options.inputs !== 'object' || options.inputs === null) {
        throw new InvalidArgumentError('inputs', 'inputs must be an object of named values.')
      }
      for (const [name, value] of Object.entries(options.inputs)) {
        if (!isUsablePythonName(name)) {
          throw new InvalidArgumentError('inputs', `'${name}' is not a usable Python variable name.`)
        }
        runInputs.set(name, toMonty(value, `inputs.${name}`, this.#dataclasses, inputBudget))
      }
    }
    const plan = planRun({
      code,
      scriptName,
      analysis,
      state,
      runInputs,
      externals: prepareExternals(options.externalFunctions),
    })
    const { externals, shadowed, emitted, allReads, collect, collectAfterMarker, montyInputs } = plan
    const { renamedInputs, wrapped } = plan
    let program = this.#programs.get(plan.key)
    if (!program) {
      program = buildProgram({
        scriptName,
        declare: [...plan.declare],
        wrappers: wrapped.map(wrapperSource),
        definitions: [...plan.definitions],
        userCode: code,
        ...(analysis.lastExpression ? { lastExpression: analysis.lastExpression } : {}),
        collect: [...collect],
        collectAfterMarker: [...collectAfterMarker],
        awaitCoroutineResult: true,
        renamedInputs: [...renamedInputs],
        sessionValues: [...plan.sessionValues],
      })
      this.#programs.set(plan.key, program)
      if (this.#programs.size > PROGRAM_CACHE_SIZE) this.#programs.delete(this.#programs.keys().next().value!)
    }

    if (options.typeCheck) {
      await this.#whileOpen(
        this.#typeCheck(code, scriptName, analysis, runInputs, externals, emitted, limits, clock, signal),
      )
    }

    const runMounts = await openRunMounts(this.#sandbox, this.#extraMounts, this.#maxWriteBytes)
    this.#mounts = runMounts
    const mounts = runMounts.mounts
    // Without lazy lookups, externals or dataclass constructors, nothing can pause: run() is
    // the same program, faster. With a mount, Monty's run() turns a call of an undefined name
    // into an uncatchable "External function ... called" error, so such runs pause instead and
    // the call is answered with the `NameError` Python expects.
    const canPause =
      mounts.length > 0 ||
      wrapped.length > 0 ||
      collectAfterMarker.length > 0 ||
      [...allReads].some(
        (name) =>
          (state.data.has(name) && !shadowed(name) && !Object.hasOwn(montyInputs, name)) ||
          this.#dataclasses.byName(name) !== undefined,
      )
    // stdout, capped.
    const stdoutChunks: string[] = []
    let stdoutBytes = 0
    let truncated = false
    const printCallback = (text: string) => {
      if (!truncated) {
        const bytes = Buffer.byteLength(text)
        if (stdoutBytes + bytes <= this.#maxStdoutBytes) {
          stdoutChunks.push(text)
          stdoutBytes += bytes
        } else {
          const room = this.#maxStdoutBytes - stdoutBytes
          stdoutChunks.push(
            Buffer.from(text)
              .subarray(0, room)
              .toString('utf8')
              .replace(/\uFFFD+$/, ''),
          )
          stdoutBytes = this.#maxStdoutBytes
          truncated = true
        }
      }
      try {
        options.onStdout?.(text)
      } catch {
        // A throwing listener must not break the run.
      }
    }

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
      printCallback,
    }
    const execution = await (this.#pool ?? IN_THREAD_EXECUTOR).execution(request, mounts, signal)
    if (signal?.aborted) {
      execution.dispose(createAbortError(signal))
      throw createAbortError(signal)
    }
    this.#current = execution
    const onAbort = () => execution.dispose(createAbortError(signal))
    signal?.addEventListener('abort', onAbort, { once: true })
    const guard = (promise: Promise<Step>) => this.#whileOpen(signal ? raceAbort(promise, signal) : promise)
    let afterMarker = false
    let output: unknown
    try {
      let step = await guard(execution.start())
      while (step.kind !== 'complete') {
        if (signal?.aborted) throw createAbortError(signal)
        if (Date.now() > clock.deadline) throw durationError(limits.maxDurationSecs!)
        if (step.kind === 'lookup') {
          const name = step.name
          step = await guard(
            execution.resumeLookup(
              !afterMarker && !shadowed(name) && state.data.has(name)
                ? { value: state.data.get(name) }
                : undefined,
            ),
          )
          continue
        }
        if (step.name === END_MARKER) {
          afterMarker = true
          step = await guard(execution.resumeCall({ value: null }))
          continue
        }
        const answer = await this.#whileOpen(
          this.#answerCall(step, externals, clock, limits.maxDurationSecs!, signal),
        )
        step = await guard(
          execution.resumeCall(
            answer instanceof PythonRaise
              ? { exception: { type: answer.type, message: answer.message } }
              : { value: answer.value },
          ),
        )
      }
      output = step.output
    } catch (error) {
      throw explainNotKept(this.#mapError(error, program, analysis, limits), state)
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
      ? await this.#whileOpen(
          raceDeadline(
            Promise.resolve().then(() => validateWithSchema(options.result!, result)),
            clock.deadline,
            limits.maxDurationSecs!,
            signal,
          ),
        )
      : result
    const metadata: Record<string, unknown> = { programBytes: program.source.length }
    if (truncated) metadata.stdoutTruncated = true
    let stdout = stdoutChunks.join('')
    if (truncated) stdout += `\n[stdout truncated at ${this.#maxStdoutBytes} bytes]`
    return {
      result: finalResult,
      stdout,
      backend: this.name,
      durationMs: performance.now() - started,
      ...(notKept.length > 0 ? { notKept } : {}),
      metadata,
    }
  }

  /** Answers an external call pause: a raw external, a dataclass constructor, or a `NameError`. */
  async #answerCall(
    call: Extract<Step, { kind: 'call' }>,
    externals: ReadonlyMap<string, PreparedExternal>,
    clock: RunClock,
    maxDurationSecs: number,
    signal: AbortSignal | undefined,
  ): Promise<{ value: unknown } | PythonRaise> {
    const name = call.name
    const external = name.startsWith(RAW_EXTERNAL_PREFIX)
      ? externals.get(name.slice(RAW_EXTERNAL_PREFIX.length))
      : undefined
    if (external) {
      let args: unknown[]
      let kwargs: Record<string, unknown>
      const argumentBudget = new ValueBudget(this.#valueLimits)
      try {
        args = call.args.map((arg, i) =>
          fromMonty(arg, `${external.name}() argument ${i + 1}`, this.#dataclasses, argumentBudget, {
            checkTopLevelString: true,
          }),
        )
        kwargs = {}
        for (const [key, value] of Object.entries(call.kwargs)) {
          kwargs[key] = fromMonty(
            value,
            `${external.name}() argument ${key}`,
            this.#dataclasses,
            argumentBudget,
            {
              checkTopLevelString: true,
            },
          )
        }
      } catch (error) {
        return new PythonRaise('TypeError', (error as Error).message)
      }
      let returned: unknown
      try {
        returned = await raceDeadline(
          Promise.resolve().then(() => callExternal(external, args, kwargs)),
          clock.deadline,
          maxDurationSecs,
          signal,
        )
      } catch (error) {
        if (error instanceof ResourceLimitError || (signal?.aborted && isAbort(error))) throw error
        const raise = toPythonRaise(error)
        // What Python sees of a host error names sandbox paths only.
        return new PythonRaise(raise.type, hostPathRedactor(this.#knownMounts())(raise.message))
      }
      return {
        value: toMonty(
          returned,
          `${external.name}() return value`,
          this.#dataclasses,
          new ValueBudget(this.#valueLimits),
        ),
      }
    }
    const dataclass = this.#dataclasses.byName(name)
    if (dataclass) {
      const fields: Record<string, unknown> = {}
      const args = call.args
      if (args.length > dataclass.fields.length) {
        return new PythonRaise(
          'TypeError',
          `${name}() takes ${dataclass.fields.length} positional arguments but ${args.length} were given`,
        )
      }
      args.forEach((arg, i) => {
        fields[dataclass.fields[i]!] = arg
      })
      for (const [key, value] of Object.entries(call.kwargs)) {
        if (!dataclass.fields.includes(key))
          return new PythonRaise('TypeError', `${name}() got an unexpected keyword argument '${key}'`)
        if (Object.hasOwn(fields, key))
          return new PythonRaise('TypeError', `${name}() got multiple values for argument '${key}'`)
        fields[key] = value
      }
      const missing = dataclass.fields.filter((field) => !Object.hasOwn(fields, field))
      if (missing.length > 0) {
        return new PythonRaise(
          'TypeError',
          `${name}() missing required argument${missing.length > 1 ? 's' : ''}: ${missing.map((m) => `'${m}'`).join(', ')}`,
        )
      }
      const ordered: Record<string, unknown> = {}
      for (const field of dataclass.fields) ordered[field] = fields[field]
      return {
        value: {
          __monty_type__: 'Dataclass',
          name: dataclass.name,
          typeId: dataclass.typeId,
          fieldNames: [...dataclass.fields],
          fields: ordered,
          frozen: dataclass.frozen,
        },
      }
    }
    return new PythonRaise('NameError', `name '${name}' is not defined`)
  }

  /**
   * The snippet's analysis: from the cache, else computed in a pool process (parsing deep or
   * long code is slow, and must not hold the calling thread), on the calling thread for a small
   * snippet (bounded: 3.3 ms here for the worst 1 KB measured) and in-thread.
   * Either way the snippet's nesting is checked first, linearly (`snippet-shape.ts`).
   */
  async #analysis(
    code: string,
    limits: ResourceLimits,
    clock: RunClock,
    signal: AbortSignal | undefined,
  ): Promise<SnippetAnalysis> {
    const cached = analysisCache.get(code)
    if (cached) {
      analysisCache.delete(code)
      analysisCache.set(code, cached)
      return cached
    }
    checkSnippetShape(code)
    const analysis =
      this.#pool && code.length > SMALL_SNIPPET_CHARS
        ? (await this.#pool.task({ type: 'analyze', code }, 'analysis', montyLimitsOf(limits), clock, signal))
            .analysis
        : analyzeSnippet(code)
    analysisCache.set(code, analysis)
    if (analysisCache.size > ANALYSIS_CACHE_SIZE) analysisCache.delete(analysisCache.keys().next().value!)
    return analysis
  }

  /** Type-checks the snippet against stubs of what it can see: in a pool process unless in-thread. */
  async #typeCheck(
    code: string,
    scriptName: string,
    analysis: SnippetAnalysis,
    runInputs: ReadonlyMap<string, unknown>,
    externals: ReadonlyMap<string, PreparedExternal>,
    emitted: ReadonlyMap<string, StoredDefinition>,
    limits: ResourceLimits,
    clock: RunClock,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const lines = ['from typing import Any, Literal, cast']
    const names = new Set(analysis.reads)
    for (const definition of emitted.values()) for (const read of definition.reads) names.add(read)
    const stub = (name: string, value: unknown) => {
      const type = stubTypeOf(value)
      lines.push(`${name}: ${type} = cast(${JSON.stringify(type)}, None)`)
    }
    for (const name of names) {
      if (externals.has(name) || emitted.has(name)) continue
      if (runInputs.has(name)) stub(name, runInputs.get(name))
      else if (this.#state.data.has(name)) stub(name, this.#state.data.get(name))
    }
    for (const dataclass of this.#dataclasses.all()) {
      if (analysis.reads.has(dataclass.name) && !runInputs.has(dataclass.name)) {
        lines.push(`def ${dataclass.name}(*args: Any, **kwargs: Any) -> Any:\n    raise NotImplementedError`)
      }
    }
    for (const definition of [...emitted.values()].sort((a, b) => a.seq - b.seq)) {
      lines.push(definition.source.replace(/\n$/, ''))
    }
    for (const external of externals.values()) lines.push(typeStub(external).replace(/\n$/, ''))
    const prefix = lines.join('\n')
    const offset = prefix.split('\n').length
    const raw = this.#pool
      ? (
          await this.#pool.task(
            { type: 'typecheck', code, prefix },
            'typechecked',
            montyLimitsOf(limits),
            clock,
            signal,
          )
        ).diagnostics
      : typeCheckDiagnostics(code, prefix)
    if (raw === undefined) return
    const diagnostics = raw
      .replace(
        /snippet\.py:(\d+):(\d+)/g,
        (_, line: string, column: string) => `${scriptName}:${Number(line) - offset}:${column}`,
      )
      .trim()
    throw new PythonTypingError(diagnostics)
  }

  #mapError(error: unknown, program: Program, analysis: SnippetAnalysis, limits: ResourceLimits): unknown {
    if (!(error instanceof MontyFailure)) return error
    const { typeName, pythonMessage: message } = error
    if (error.kind === 'syntax') {
      return new PythonSyntaxError({
        excType: typeName || 'SyntaxError',
        message,
        ...(analysis.syntaxError
          ? { line: analysis.syntaxError.line, column: analysis.syntaxError.column }
          : {}),
        cause: error,
      })
    }
    const limit = limitOf(typeName, message)
    if (limit) {
      return new ResourceLimitError({
        limit,
        ...(limits[limit] === undefined ? {} : { value: limits[limit] }),
        message: `The run exceeded its ${limit} limit${limits[limit] === undefined ? '' : ` (${limits[limit]})`}: ${message}`,
        cause: error,
      })
    }
    if (
      typeName === 'NotImplementedError' &&
      error.frames.length === 0 &&
      /does not (yet )?support/.test(message)
    ) {
      return new PythonUnsupportedError({
        construct: message.replace(/^.*does not (yet )?support /, ''),
        alternative: 'Rewrite the snippet without it (see the backend README for what Monty supports).',
      })
    }
    return new PythonRuntimeError({
      excType: typeName,
      message,
      traceback: mapTraceback(program, error.frames),
      cause: error,
    })
  }
}

const ANALYSIS_CACHE_SIZE = 512
/**
 * Snippets up to this many characters are analysed on the calling thread: a round trip to a
 * pool process costs more than their parse, whose worst case measured here (1 KB of 200-deep
 * brackets) took 3.3 ms here.
 */
const SMALL_SNIPPET_CHARS = 1024
const analysisCache = new Map<string, SnippetAnalysis>()

const PROGRAM_CACHE_SIZE = 256
