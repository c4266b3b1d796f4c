/**
 * An OpenTelemetry tracer and meter that write to memory, set up as an application would (the
 * SDK's in-memory span exporter, a metric reader read on demand), and helpers to read the span
 * tree and the metric points back. Shared by the telemetry tests of every package.
 */
import {
  type CollectionResult,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'

/** Reads the meter's metrics on demand (the SDK's own pattern for tests). */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
  async read(): Promise<ResourceMetrics> {
    const { resourceMetrics }: CollectionResult = await this.collect()
    return resourceMetrics
  }
}

/** One metric point: its value (a histogram's count) and attributes. */
export interface MetricPoint {
  value: number
  attributes: Record<string, unknown>
}

/** A tracer and a meter writing to memory. */
export function memoryTelemetry() {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const reader = new TestReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  /** The points of `metric` (collected now) whose attributes include `where`. */
  const points = async (metric: string, where: Record<string, unknown> = {}): Promise<MetricPoint[]> => {
    const found: MetricPoint[] = []
    for (const scope of (await reader.read()).scopeMetrics) {
      for (const data of scope.metrics) {
        if (data.descriptor.name !== metric) continue
        for (const point of data.dataPoints) {
          const matches = Object.entries(where).every(([key, value]) => point.attributes[key] === value)
          if (!matches) continue
          const value = point.value as number | { count: number }
          found.push({ value: typeof value === 'number' ? value : value.count, attributes: point.attributes })
        }
      }
    }
    return found
  }
  return {
    tracerProvider,
    tracer: tracerProvider.getTracer('test'),
    meter: meterProvider.getMeter('test'),
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    points,
    /** The sum of `metric`'s points whose attributes include `where`. */
    async sum(metric: string, where: Record<string, unknown> = {}): Promise<number> {
      return (await points(metric, where)).reduce((total, point) => total + point.value, 0)
    },
  }
}

/** The spans called `name`. */
export const spansNamed = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] =>
  spans.filter((span) => span.name === name)

/** The one span called `name`; throws when there is none or more than one. */
export function oneSpan(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spansNamed(spans, name)
  if (found.length !== 1) {
    throw new Error(
      `expected one span named ${name}, found ${found.length}: ${spans.map((s) => s.name).join(', ')}`,
    )
  }
  return found[0]!
}

/** The parent of `span` among `spans`. */
export const parentOf = (spans: readonly ReadableSpan[], span: ReadableSpan): ReadableSpan | undefined =>
  spans.find((candidate) => candidate.spanContext().spanId === span.parentSpanContext?.spanId)

/** The names of `span`'s ancestors, nearest first. */
export function ancestorNames(spans: readonly ReadableSpan[], span: ReadableSpan): string[] {
  const names: string[] = []
  for (let at = parentOf(spans, span); at; at = parentOf(spans, at)) names.push(at.name)
  return names
}
