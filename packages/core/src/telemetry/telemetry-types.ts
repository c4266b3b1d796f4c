/**
 * The few OpenTelemetry API shapes PyFlue uses, written out structurally so that no package's
 * types or code import `@opentelemetry/api` (never a dependency, not even an optional peer: the application installs it). A `Tracer` and a
 * `Meter` of `@opentelemetry/api` 1.x satisfy these interfaces as they are.
 */

/** An attribute value (`@opentelemetry/api`'s `AttributeValue`). */
export type TelemetryAttributeValue = string | number | boolean | string[] | number[] | boolean[]

/** Attributes by name; `undefined` values are skipped by the SDK. */
export type TelemetryAttributes = Record<string, TelemetryAttributeValue | undefined>

/** `SpanStatusCode.ERROR` of `@opentelemetry/api`. */
export const SPAN_STATUS_ERROR = 2

/** `SpanKind.INTERNAL` and `SpanKind.CLIENT` of `@opentelemetry/api`. */
export const SPAN_KIND_INTERNAL = 0
export const SPAN_KIND_CLIENT = 2

/** The part of `@opentelemetry/api`'s `Span` PyFlue calls. */
export interface TelemetrySpan {
  setAttribute(key: string, value: TelemetryAttributeValue): unknown
  setAttributes(attributes: TelemetryAttributes): unknown
  setStatus(status: { code: number; message?: string }): unknown
  end(): void
}

/** The part of `@opentelemetry/api`'s `Tracer` PyFlue calls (the AI SDK also calls `startSpan`). */
export interface TelemetryTracer {
  startSpan(name: string, options?: { attributes?: TelemetryAttributes; kind?: number }): TelemetrySpan
  startActiveSpan<F extends (span: TelemetrySpan) => unknown>(
    name: string,
    options: { attributes?: TelemetryAttributes; kind?: number },
    fn: F,
  ): ReturnType<F>
}

/** The part of `@opentelemetry/api`'s `Counter` and `Histogram` PyFlue calls. */
export interface TelemetryCounter {
  add(value: number, attributes?: TelemetryAttributes): void
}
export interface TelemetryHistogram {
  record(value: number, attributes?: TelemetryAttributes): void
}

/** The part of `@opentelemetry/api`'s `ObservableResult` PyFlue calls. */
export interface TelemetryObservableResult {
  observe(value: number, attributes?: TelemetryAttributes): void
}

/** The part of `@opentelemetry/api`'s `ObservableGauge` PyFlue calls. */
export interface TelemetryObservableGauge {
  addCallback(callback: (result: TelemetryObservableResult) => void): void
}

/** The part of `@opentelemetry/api`'s `Meter` PyFlue calls. */
export interface TelemetryMeter {
  createCounter(name: string, options?: { description?: string; unit?: string }): TelemetryCounter
  createHistogram(name: string, options?: { description?: string; unit?: string }): TelemetryHistogram
  /** Every `@opentelemetry/api` 1.x `Meter` has it; a meter without it gets no gauges. */
  createObservableGauge?(
    name: string,
    options?: { description?: string; unit?: string },
  ): TelemetryObservableGauge
}
