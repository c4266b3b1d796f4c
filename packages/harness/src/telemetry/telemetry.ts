/**
 * The harness's telemetry: a `Telemetry` object made once per agent from `init({ telemetry })`,
 * through which every span and metric of the harness goes. Off (the default), it holds nothing,
 * wraps nothing and never loads `@opentelemetry/api`; on, it uses only the tracer and meter it
 * was given, or, for `telemetry: true`, the global providers of `@opentelemetry/api` (loaded then,
 * by a dynamic import).
 */
import { AsyncResource } from 'node:async_hooks'
import { InvalidArgumentError, importOptionalPackage, refuseUnknownKeys } from '@pyflue/core'
import { ATTR, METRIC, type Outcome } from './attributes.js'
import { describeFailure } from './failure.js'
import {
  SPAN_KIND_INTERNAL,
  SPAN_STATUS_ERROR,
  type TelemetryAttributes,
  type TelemetryCounter,
  type TelemetryHistogram,
  type TelemetryMeter,
  type TelemetrySpan,
  type TelemetryTracer,
} from './telemetry-types.js'

/** The object form of `init({ telemetry })`. */
export interface TelemetryOptions {
  /** Where spans go: an `@opentelemetry/api` `Tracer`. Omitted: no spans. */
  tracer?: TelemetryTracer
  /** Where metrics go: an `@opentelemetry/api` `Meter`. Omitted: no metrics. */
  meter?: TelemetryMeter
  /**
   * Record the Python code of each run (`pyflue.python.code`), the full text of each shell
   * command (`pyflue.sandbox.command.text`), and let the AI SDK record prompts, replies and tool
   * arguments (its `recordInputs`/`recordOutputs`). Default `false`.
   */
  recordCode?: boolean
}

/**
 * `init({ telemetry })`: `undefined` or `false` (off), `true` (the global tracer and meter of
 * `@opentelemetry/api`, which must then be installed), or `TelemetryOptions`.
 */
export type TelemetrySetting = boolean | TelemetryOptions

const TELEMETRY_OPTION_KEYS = Object.keys({
  tracer: true,
  meter: true,
  recordCode: true,
} satisfies Record<keyof TelemetryOptions, true>)

/** The instrumentation scope of everything the harness emits. */
export const TELEMETRY_SCOPE = '@pyflue/harness'

interface Instruments {
  runs: TelemetryCounter
  runDuration: TelemetryHistogram
  limitHits: TelemetryCounter
  aborts: TelemetryCounter
  sandboxCommands: TelemetryCounter
  storeConflicts: TelemetryCounter
}

/** Spans and metrics of one agent. Made by `createTelemetry`; `Telemetry.off` does nothing. */
export class Telemetry {
  /** Telemetry that records nothing. */
  static readonly off: Telemetry = new Telemetry({})

  /** The tracer spans go to, when there is one. */
  readonly tracer: TelemetryTracer | undefined
  /** Whether code and command texts are recorded. */
  readonly recordCode: boolean
  readonly #instruments: Instruments | undefined

  private constructor(options: TelemetryOptions) {
    this.tracer = options.tracer
    this.recordCode = options.recordCode === true
    const meter = options.meter
    this.#instruments = meter && {
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

  /** @internal */
  static create(options: TelemetryOptions): Telemetry {
    return options.tracer === undefined && options.meter === undefined
      ? Telemetry.off
      : new Telemetry(options)
  }

  /** True when there is a tracer or a meter: the harness then wraps what it builds. */
  get enabled(): boolean {
    return this.tracer !== undefined || this.#instruments !== undefined
  }

  /**
   * Runs `body` in a new active span (when there is a tracer) and returns what it returns. A
   * promise ends the span when it settles; a throw or a rejection sets the span's status to
   * ERROR with `error.type` and `pyflue.outcome` (and the limit, the Python exception type).
   */
  span<R>(name: string, attributes: TelemetryAttributes, body: (span: TelemetrySpan | undefined) => R): R {
    const tracer = this.tracer
    if (tracer === undefined) return body(undefined)
    return tracer.startActiveSpan(name, { attributes, kind: SPAN_KIND_INTERNAL }, (span) => {
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
      return (result as PromiseLike<unknown>).then(
        (value) => {
          span.end()
          return value
        },
        (error: unknown) => {
          failSpan(span, error)
          span.end()
          throw error
        },
      ) as R
    })
  }

  /** `span` for a body that returns a promise: the same, with one async step fewer. */
  spanAsync<R>(
    name: string,
    attributes: TelemetryAttributes,
    body: (span: TelemetrySpan | undefined) => Promise<R>,
  ): Promise<R> {
    const tracer = this.tracer
    if (tracer === undefined) return body(undefined)
    return tracer.startActiveSpan(name, { attributes, kind: SPAN_KIND_INTERNAL }, async (span) => {
      try {
        return await body(span)
      } catch (error) {
        failSpan(span, error)
        throw error
      } finally {
        span.end()
      }
    })
  }

  /** True when there is a meter (run durations are timed only then). */
  get metered(): boolean {
    return this.#instruments !== undefined
  }

  /**
   * `fn` bound to the current async context, so that a span it starts later (from a callback the
   * backend's process or thread delivers) is a child of the span active now. Without a tracer
   * `fn` itself.
   */
  bind<F extends (...args: any[]) => unknown>(fn: F): F {
    return this.tracer === undefined ? fn : (AsyncResource.bind(fn) as unknown as F)
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
 * Checks `init({ telemetry })` and makes the agent's `Telemetry`. `undefined`/`false` give
 * `Telemetry.off` without importing anything; `true` imports `@opentelemetry/api` (a
 * `PackageNotInstalledError` names the install command when it is missing) and uses its global
 * tracer and meter; an object uses only the tracer and meter it holds.
 */
export async function createTelemetry(
  setting: TelemetrySetting | undefined,
  where = 'telemetry',
): Promise<Telemetry> {
  if (setting === undefined || setting === false) return Telemetry.off
  if (setting === true) {
    const api = (await importOptionalPackage('@opentelemetry/api', 'init({ telemetry: true })', {
      importer: (specifier) => import(/* @vite-ignore */ specifier),
    })) as {
      trace: { getTracer(name: string): TelemetryTracer }
      metrics: { getMeter(name: string): TelemetryMeter }
    }
    return Telemetry.create({
      tracer: api.trace.getTracer(TELEMETRY_SCOPE),
      meter: api.metrics.getMeter(TELEMETRY_SCOPE),
    })
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
