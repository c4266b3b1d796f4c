import { trace } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import { montyBackend } from '@pyflue/backend-monty'
import { type InitOptions, init, type Session } from '@pyflue/harness'
import type { Bench, BenchRow } from '../bench-types.js'
import { formatMs, median, sample } from '../stats.js'

const CODE = 'total = 1 + 2\ntotal'

/** An exporter that drops every span: the cost of making spans, not of shipping them. */
const discarding: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: async () => {},
}

/**
 * What telemetry costs a warm trivial `session.runPython` (in-thread Monty, so the run itself is
 * as small as it gets): off against on with the API's no-op tracer, a real tracer whose exporter
 * drops the spans, and a real tracer with an in-memory exporter, with a second session without
 * telemetry as a control. The settings are interleaved run by run.
 */
const bench: Bench = {
  name: 'telemetry',
  async run(): Promise<BenchRow[]> {
    const memory = new InMemorySpanExporter()
    const settings: Record<string, InitOptions['telemetry']> = {
      off: undefined,
      noop: { tracer: trace.getTracer('bench-noop') },
      discarding: {
        tracer: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(discarding)] }).getTracer(
          'b',
        ),
      },
      memory: {
        tracer: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('b'),
      },
      control: undefined,
    }
    const sessions: Record<string, Session> = {}
    for (const [key, telemetry] of Object.entries(settings)) {
      const agent = await init({
        pythonBackend: montyBackend({ execution: 'in-thread-trusted-code-only' }),
        telemetry,
      })
      sessions[key] = await agent.session(`telemetry-${key}`)
    }
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(settings).map((key) => [key, []]))
    const keys = Object.keys(settings)
    for (const key of keys) await sample(() => sessions[key]!.runPython(CODE), 0, 200)
    // Each iteration runs every setting once, starting at a rotating one, so that neither drift
    // nor the order of the settings favours any of them.
    for (let iteration = 0; iteration < 3000; iteration++) {
      for (let k = 0; k < keys.length; k++) {
        const key = keys[(iteration + k) % keys.length]!
        const start = performance.now()
        await sessions[key]!.runPython(CODE)
        times[key]!.push(performance.now() - start)
      }
      if (iteration % 300 === 0) memory.reset()
    }
    const off = median(times.off!)
    const row = (key: string, name: string, note?: string): BenchRow => {
      const value = median(times[key]!)
      return {
        name,
        value: formatMs(value),
        baseline: `telemetry off: ${formatMs(off)}`,
        ratio: value / off,
        ...(note ? { note } : {}),
      }
    }
    return [
      row(
        'control',
        'session.runPython, telemetry off, a second session made last (control)',
        'measures the noise',
      ),
      row('noop', 'session.runPython, telemetry on, no-op tracer (API without an SDK)', 'target <= 1.05×'),
      row('discarding', 'session.runPython, telemetry on, SDK tracer, spans dropped by the exporter'),
      row('memory', 'session.runPython, telemetry on, SDK tracer, in-memory exporter'),
    ]
  },
}

export default bench
