/**
 * The telemetry kit's centre: a `Telemetry` object, made once from a `telemetry` option
 * (`init`, a backend's, a sandbox's), through which every span and metric goes. Off (the
 * default), it holds nothing, wraps nothing and never loads `@opentelemetry/api`; on, it uses
 * only the tracer and meter it was given, or, for `telemetry: true`, the global providers of
 * `@opentelemetry/api` (loaded then, by a dynamic import, before the first span).
 */
import { AsyncResource } from 'node:async_hooks'
import { InvalidArgumentError } from '../errors/pyflue-error.js'
import { importOptionalPackage } from '../import-package.js'
import { refuseUnknownKeys } from '../option-keys.js'
import { describeFailure } from './failure.js'
import { ATTR, METRIC, type Outcome } from './telemetry-names.js'
import {
  SPAN_STATUS_ERROR,
  type TelemetryAttributes,
  type TelemetryCounter,
  type TelemetryHistogram,
  type TelemetryMeter,
  type TelemetryObservableGauge,
  type TelemetrySpan,
  type TelemetryTracer,
} from './telemetry-types.js'

/** The object form of a `telemetry` option. */
export interface TelemetryOptions {
  /** Where spans go: an `@opentelemetry/api` `Tracer`. Omitted: no spans. */
  tracer?: TelemetryTracer
  /** Where metrics go: an `@opentelemetry/api` `Meter`. Omitted: no metrics. */
  meter?: TelemetryMeter
  /**
   * Record the Python code of each run (`pyflue.python.code`), the full text of each shell
   * command (`pyflue.sandbox.command.text`), and (in the harness) let the AI SDK record prompts,
   * replies and tool arguments (its `recordInputs`/`recordOutputs`). Default `false`.
   */
  recordCode?: boolean
}

/**
 * A `telemetry` option: `undefined` or `false` (off), `true` (the global tracer and meter of
 * `@opentelemetry/api`, which must then be installed), `TelemetryOptions`, or a `Telemetry`
 * already made (shared by several backends or sandboxes).
 */
export type TelemetrySetting = boolean | TelemetryOptions | Telemetry

/** How `telemetryFrom` and `createTelemetry` name and load things. */
export interface TelemetryContext {
  /** The option's name in error messages, e.g. `'init options.telemetry'`. Default `'telemetry'`. */
  where?: string
  /** The instrumentation scope of the global tracer and meter (`telemetry: true`). Default `'@pyflue/core'`. */
  scope?: string
  /** Imports `@opentelemetry/api` from the calling package's location (see `importOptionalPackage`). */
  importer?: (specifier: string) => Promise<unknown>
}

/** The keys of `TelemetryOptions`; any other is refused. */
export const TELEMETRY_OPTION_KEYS: readonly string[] = Object.keys({
  tracer: true,
  meter: true,
  recordCode: true,
} satisfies Record<keyof TelemetryOptions, true>)

/** What a pool reports to the pool gauges (`MontyPool.stats()` has these and more). */
export interface TelemetryPoolFigures {
  readonly busy: number
  readonly idle: number
  readonly waiting: number
}

/** A process pool the gauges observe (a closed pool reports zeros). */
export interface TelemetryObservedPool {
  stats(): TelemetryPoolFigures
}

interface Instruments {
  meter: TelemetryMeter
  runs: TelemetryCounter
  runDuration: TelemetryHistogram
  limitHits: TelemetryCounter
  aborts: TelemetryCounter
  sandboxCommands: TelemetryCounter
  storeConflicts: TelemetryCounter
  pool?: { processes: TelemetryObservableGauge; pending: TelemetryObservableGauge }
}

/** The ids of pools in `pyflue.python.pool.id`, in the order they were first observed. */
const poolIds = new WeakMap<object, number>()
let nextPoolId = 0

function makeInstruments(meter: TelemetryMeter): Instruments {
  return {
    meter,
    runs: meter.createCounter(METRIC.runs, { description: 'Python runs, by backend and outcome.' }),
    runDuration: meter.createHistogram(METRIC.runDuration, {
      description: 'Duration of Python runs, by backend and outcome.',
      unit: 's',
    }),
    limitHits: meter.createCounter(METRIC.limitHits, {
      description: 'Python runs stopped by a resource limit, by limit.',
    }),
    aborts: meter.createCounter(METRIC.aborts, { description: 'Aborted operations, by operation.' }),
    sandboxCommands: meter.createCounter(METRIC.sandboxCommands, {
      description: 'Sandbox shell commands, by sandbox and outcome.',
    }),
    storeConflicts: meter.createCounter(METRIC.storeConflicts, {
      description: 'Session saves refused because the stored session had moved on.',
    }),
  }
}

/**
 * Spans and metrics of one agent, backend or sandbox. Made by `telemetryFrom` or
 * `createTelemetry`; `Telemetry.off` does nothing.
 */
export class Telemetry {
  /** Telemetry that records nothing. */
  static readonly off: Telemetry = new Telemetry({})

  #tracer: TelemetryTracer | undefined
  #instruments: Instruments | undefined
  /** Whether code and command texts are recorded. */
  readonly recordCode: boolean
  /** For `telemetry: true`, until `@opentelemetry/api` is loaded (or for good, when it is missing). */
  #loading: Promise<void> | undefined
  readonly #observedPools = new WeakSet<object>()

  private constructor(options: TelemetryOptions) {
    this.#tracer = options.tracer
    this.recordCode = options.recordCode === true
    this.#instruments = options.meter && makeInstruments(options.meter)
  }

  /** Telemetry on the tracer and meter given; `Telemetry.off` when neither is. Unchecked: see `telemetryFrom`. */
  static create(options: TelemetryOptions): Telemetry {
    return options.tracer === undefined && options.meter === undefined
      ? Telemetry.off
      : new Telemetry(options)
  }

  /**
   * Telemetry on the global tracer and meter of `@opentelemetry/api`, which is imported now; until
   * it is loaded, operations wait for it (a span of a synchronous body is skipped). When the
   * package is missing, `ready` and every traced operation reject with `PackageNotInstalledError`.
   */
  static global(scope: string, what: string, importer?: TelemetryContext['importer']): Telemetry {
    const telemetry = new Telemetry({})
    const loading = importOptionalPackage('@opentelemetry/api', what, importer ? { importer } : {}).then(
      (loaded) => {
        const api = loaded as {
          trace: { getTracer(name: string): TelemetryTracer }
          metrics: { getMeter(name: string): TelemetryMeter }
        }
        telemetry.#tracer = api.trace.getTracer(scope)
        telemetry.#instruments = makeInstruments(api.metrics.getMeter(scope))
        telemetry.#loading = undefined
      },
    )
    loading.catch(() => {})
    telemetry.#loading = loading
    return telemetry
  }

  /** Resolves once the tracer and meter are there (at once, but for `telemetry: true`). */
  get ready(): Promise<void> {
    return this.#loading ?? Promise.resolve()
  }

  /** The tracer spans go to, when there is one. */
  get tracer(): TelemetryTracer | undefined {
    return this.#tracer
  }

  /** True when there is (or, for `telemetry: true`, will be) a tracer or a meter: PyFlue then wraps what it builds. */
  get enabled(): boolean {
    return this.#tracer !== undefined || this.#instruments !== undefined || this.#loading !== undefined
  }

  /** True when there is a meter (run durations are timed only then). */
  get metered(): boolean {
    return this.#instruments !== undefined
  }

  /**
   * Runs `body` in a new active span (when there is a tracer) and returns what it returns. A
   * promise ends the span when it settles; a throw or a rejection sets the span's status to
   * ERROR with `error.type` and `pyflue.outcome` (and the limit, the Python exception type).
   */
  span<R>(name: string, attributes: TelemetryAttributes, body: (span: TelemetrySpan | undefined) => R): R {
    const tracer = this.#tracer
    if (tracer === undefined) return body(undefined)
    return tracer.startActiveSpan(name, { attributes }, (span) => {
      let result: R
      try {
        result = body(span)
      } catch (error) {
        failSpan(span, error)
        span.end()
        throw error
      }
      if (!isPromiseLike(result)) {
        span.end()
        return result
      }
      return endWhenSettled(span, result as PromiseLike<unknown>) as R
    })
  }

  /**
   * `span` for a body that returns a promise (and may throw, which rejects). Waits for the
   * tracer of `telemetry: true` before the first span.
   */
  spanAsync<R>(
    name: string,
    attributes: TelemetryAttributes,
    body: (span: TelemetrySpan | undefined) => Promise<R>,
  ): Promise<R> {
    if (this.#loading !== undefined) return this.#loading.then(() => this.spanAsync(name, attributes, body))
    const tracer = this.#tracer
    if (tracer === undefined) return body(undefined)
    return tracer.startActiveSpan(name, { attributes }, (span) => {
      let result: Promise<R>
      try {
        result = body(span)
      } catch (error) {
        failSpan(span, error)
        span.end()
        return Promise.reject(error)
      }
      return endWhenSettled(span, result) as Promise<R>
    })
  }

  /**
   * `fn` bound to the current async context, so that a span it starts later (from a callback the
   * backend's process or thread delivers) is a child of the span active now. Without a tracer
   * `fn` itself.
   */
  bind<F extends (...args: any[]) => unknown>(fn: F): F {
    return this.#tracer === undefined ? fn : (AsyncResource.bind(fn) as unknown as F)
  }

  /** Counts one Python run and records its duration. */
  recordRun(backend: string, outcome: Outcome, seconds: number, limit?: string): void {
    const instruments = this.#instruments
    if (!instruments) return
    const attributes = { [ATTR.backend]: backend, [ATTR.outcome]: outcome }
    instruments.runs.add(1, attributes)
    instruments.runDuration.record(seconds, attributes)
    if (limit !== undefined) instruments.limitHits.add(1, { [ATTR.backend]: backend, [ATTR.limit]: limit })
  }

  /** Counts one aborted operation (`'session.prompt'`, `'python.run'`, `'sandbox.exec'`). */
  recordAbort(operation: string): void {
    this.#instruments?.aborts.add(1, { [ATTR.operation]: operation })
  }

  /** Counts one shell command. */
  recordCommand(sandbox: string, outcome: Outcome): void {
    this.#instruments?.sandboxCommands.add(1, { [ATTR.sandbox]: sandbox, [ATTR.outcome]: outcome })
  }

  /** Counts one save refused by a `SessionConflictError`. */
  recordConflict(): void {
    this.#instruments?.storeConflicts.add(1)
  }

  /**
   * Reports `pool` in the pool gauges at every collection:
   * `pyflue.python.pool.processes` by `pyflue.python.pool.state` (`busy`, `idle`) and
   * `pyflue.python.pool.pending_runs`, each with `attributes` and `pyflue.python.pool.id` (a
   * number per pool of this process). A pool is observed once however often it is given; without
   * a meter (or one without `createObservableGauge`) nothing happens. The pool is held weakly:
   * once it is garbage, it is no longer reported.
   */
  observePool(pool: TelemetryObservedPool, attributes: TelemetryAttributes = {}): void {
    if (this.#loading !== undefined) {
      this.#loading.then(
        () => this.observePool(pool, attributes),
        () => {},
      )
      return
    }
    const instruments = this.#instruments
    if (instruments?.meter.createObservableGauge === undefined || this.#observedPools.has(pool)) return
    this.#observedPools.add(pool)
    let id = poolIds.get(pool)
    if (id === undefined) {
      id = nextPoolId++
      poolIds.set(pool, id)
    }
    instruments.pool ??= {
      processes: instruments.meter.createObservableGauge(METRIC.poolProcesses, {
        description: 'Processes of a Python process pool, by state (busy, idle).',
      }),
      pending: instruments.meter.createObservableGauge(METRIC.poolPendingRuns, {
        description: 'Python runs waiting for a pool process.',
      }),
    }
    const held = new WeakRef(pool)
    const figures = (): TelemetryPoolFigures | undefined => held.deref()?.stats()
    const base = { ...attributes, [ATTR.poolId]: id }
    instruments.pool.processes.addCallback((result) => {
      const stats = figures()
      if (stats === undefined) return
      result.observe(stats.busy, { ...base, [ATTR.poolState]: 'busy' })
      result.observe(stats.idle, { ...base, [ATTR.poolState]: 'idle' })
    })
    instruments.pool.pending.addCallback((result) => {
      const stats = figures()
      if (stats !== undefined) result.observe(stats.waiting, base)
    })
  }
}

/** `result`, ending `span` when it settles (with the failure recorded on a rejection). */
function endWhenSettled<V>(span: TelemetrySpan, result: PromiseLike<V>): PromiseLike<V> {
  return result.then(
    (value) => {
      span.end()
      return value
    },
    (error: unknown) => {
      failSpan(span, error)
      span.end()
      throw error
    },
  )
}

function failSpan(span: TelemetrySpan, error: unknown): void {
  const facts = describeFailure(error)
  span.setAttributes({
    [ATTR.errorType]: facts.errorType,
    [ATTR.outcome]: facts.outcome,
    ...(facts.limit === undefined ? {} : { [ATTR.limit]: facts.limit }),
    ...(facts.exceptionType === undefined ? {} : { [ATTR.exceptionType]: facts.exceptionType }),
  })
  span.setStatus({ code: SPAN_STATUS_ERROR, message: facts.errorType })
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  )
}

/**
 * Checks a `telemetry` option and makes its `Telemetry`, synchronously. `undefined`/`false` give
 * `Telemetry.off` without importing anything; `true` gives `Telemetry.global` (importing
 * `@opentelemetry/api` begins now; a missing package surfaces at `ready` and at the first traced
 * operation); an object uses only the tracer and meter it holds. Throws `InvalidArgumentError` for
 * anything else, an unknown key, or an object with neither a tracer nor a meter. A `Telemetry`
 * is returned as it is.
 */
export function telemetryFrom(
  setting: TelemetrySetting | undefined,
  context: TelemetryContext = {},
): Telemetry {
  const where = context.where ?? 'telemetry'
  if (setting === undefined || setting === false) return Telemetry.off
  if (setting instanceof Telemetry) return setting
  if (setting === true) {
    return Telemetry.global(context.scope ?? '@pyflue/core', `${where}: true`, context.importer)
  }
  if (typeof setting !== 'object' || setting === null || Array.isArray(setting)) {
    throw new InvalidArgumentError(where, `${where} must be true, false or { tracer, meter, recordCode }.`)
  }
  refuseUnknownKeys(setting, TELEMETRY_OPTION_KEYS, where)
  const { tracer, meter, recordCode } = setting
  if (
    tracer !== undefined &&
    (typeof tracer !== 'object' || tracer === null || typeof tracer.startActiveSpan !== 'function')
  ) {
    throw new InvalidArgumentError(`${where}.tracer`, 'tracer must be an OpenTelemetry Tracer.')
  }
  if (
    meter !== undefined &&
    (typeof meter !== 'object' ||
      meter === null ||
      typeof meter.createCounter !== 'function' ||
      typeof meter.createHistogram !== 'function')
  ) {
    throw new InvalidArgumentError(`${where}.meter`, 'meter must be an OpenTelemetry Meter.')
  }
  if (recordCode !== undefined && typeof recordCode !== 'boolean') {
    throw new InvalidArgumentError(`${where}.recordCode`, 'recordCode must be a boolean.')
  }
  if (tracer === undefined && meter === undefined) {
    throw new InvalidArgumentError(
      where,
      `${where} needs a tracer, a meter or both; pass telemetry: true to use the global ones of @opentelemetry/api.`,
    )
  }
  return Telemetry.create(setting)
}

/**
 * `telemetryFrom`, then waits for `ready`: for `telemetry: true` a missing `@opentelemetry/api`
 * rejects here with `PackageNotInstalledError` (naming the install command).
 */
export async function createTelemetry(
  setting: TelemetrySetting | undefined,
  context: TelemetryContext = {},
): Promise<Telemetry> {
  const telemetry = telemetryFrom(setting, context)
  await telemetry.ready
  return telemetry
}
