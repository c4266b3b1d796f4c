// The Monty backend used alone with a `telemetry` option, through the OpenTelemetry SDK's
// in-memory exporter and a metric reader: a span per run with the external calls nested inside,
// limit hits and aborts as span status and metrics, no code text unless `recordCode`, the pool
// gauges, and option checking.
import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { InvalidArgumentError, ResourceLimitError, TELEMETRY_METRICS } from '@pyflue/core'
import { memoryTelemetry, oneSpan, parentOf, spansNamed } from '@pyflue/test-support'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMontyBackend, MontyBackend } from './monty-backend.js'
import { montyBackend } from './monty-backend-factory.js'
import { createMontyPool } from './monty-pool.js'

const SPAN_STATUS_ERROR = 2

describe('createMontyBackend({ telemetry })', () => {
  const contextManager = new AsyncLocalStorageContextManager()
  const pool = createMontyPool({ size: 2 })
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable())
  })
  afterAll(async () => {
    context.disable()
    await pool.close()
  })

  it('each run is a span; the functions Python calls are spans inside it; runs are counted', async () => {
    const otel = memoryTelemetry()
    const backend = createMontyBackend({ pool, telemetry: { tracer: otel.tracer, meter: otel.meter } })
    expect(backend).toBeInstanceOf(MontyBackend)
    const code = 'secret_marker_4411 = double(21)\nsecret_marker_4411'
    const run = await backend.run(code, { externalFunctions: { double: (n: number) => n * 2 } })
    expect(run.result).toBe(42)
    // Everything else reaches the backend as before.
    expect(await backend.listVariables()).toEqual([expect.objectContaining({ name: 'secret_marker_4411' })])
    await backend.close()

    const spans = otel.spans()
    const runSpan = oneSpan(spans, 'pyflue.python.run')
    expect(runSpan.attributes).toMatchObject({
      'pyflue.python.backend': 'monty',
      'pyflue.python.code.length': code.length,
      'pyflue.outcome': 'ok',
    })
    expect(runSpan.instrumentationScope.name).toBe('test')
    const call = oneSpan(spans, 'pyflue.python.external_call')
    expect(call.attributes).toMatchObject({ 'pyflue.python.function.name': 'double' })
    expect(parentOf(spans, call)).toBe(runSpan)
    // No code text without recordCode, in no attribute of any span.
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain('secret_marker_4411')

    expect(
      await otel.sum(TELEMETRY_METRICS.runs, { 'pyflue.python.backend': 'monty', 'pyflue.outcome': 'ok' }),
    ).toBe(1)
    expect(await otel.sum(TELEMETRY_METRICS.runDuration, { 'pyflue.outcome': 'ok' })).toBe(1)
  })

  it('recordCode: true records the code of each run', async () => {
    const otel = memoryTelemetry()
    const backend = createMontyBackend({
      execution: 'in-thread-trusted-code-only',
      telemetry: { tracer: otel.tracer, recordCode: true },
    })
    await backend.run('1 + 2')
    await backend.close()
    expect(oneSpan(otel.spans(), 'pyflue.python.run').attributes['pyflue.python.code']).toBe('1 + 2')
  })

  it('a limit hit is the span status and the limit-hit metric', async () => {
    const otel = memoryTelemetry()
    const backend = createMontyBackend({ pool, telemetry: { tracer: otel.tracer, meter: otel.meter } })
    const error = await backend
      .run('while True:\n    pass', { resourceLimits: { maxDurationSecs: 0.2 } })
      .catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(ResourceLimitError)
    await backend.close()
    const span = oneSpan(otel.spans(), 'pyflue.python.run')
    expect(span.status).toEqual({ code: SPAN_STATUS_ERROR, message: 'ResourceLimitError' })
    expect(span.attributes).toMatchObject({
      'pyflue.outcome': 'limit',
      'pyflue.python.limit': 'maxDurationSecs',
      'error.type': 'ResourceLimitError',
    })
    expect(await otel.sum(TELEMETRY_METRICS.limitHits, { 'pyflue.python.limit': 'maxDurationSecs' })).toBe(1)
    expect(await otel.sum(TELEMETRY_METRICS.runs, { 'pyflue.outcome': 'limit' })).toBe(1)
  })

  it('an abort is the span status and the abort metric', async () => {
    const otel = memoryTelemetry()
    const backend = createMontyBackend({ pool, telemetry: { tracer: otel.tracer, meter: otel.meter } })
    const controller = new AbortController()
    // The run aborts itself from a function it calls: no timing involved.
    const running = backend.run('stop()\nwhile True:\n    pass', {
      signal: controller.signal,
      resourceLimits: { maxDurationSecs: 30 },
      externalFunctions: { stop: () => controller.abort() },
    })
    await expect(running).rejects.toMatchObject({ name: 'AbortError' })
    await backend.close()
    const span = oneSpan(otel.spans(), 'pyflue.python.run')
    expect(span.status.code).toBe(SPAN_STATUS_ERROR)
    expect(span.attributes).toMatchObject({ 'pyflue.outcome': 'aborted', 'error.type': 'AbortError' })
    expect(await otel.sum(TELEMETRY_METRICS.aborts, { 'pyflue.operation': 'python.run' })).toBe(1)
    expect(await otel.sum(TELEMETRY_METRICS.runs, { 'pyflue.outcome': 'aborted' })).toBe(1)
  })

  it('the pool gauges report busy and idle processes and waiting runs', async () => {
    const otel = memoryTelemetry()
    const own = createMontyPool({ size: 1 })
    await own.warm()
    const backend = createMontyBackend({ pool: own, telemetry: { meter: otel.meter } })
    const other = createMontyBackend({ pool: own, telemetry: { meter: otel.meter } })
    const gauges = async () => ({
      busy: await otel.sum(TELEMETRY_METRICS.poolProcesses, { 'pyflue.python.pool.state': 'busy' }),
      idle: await otel.sum(TELEMETRY_METRICS.poolProcesses, { 'pyflue.python.pool.state': 'idle' }),
      pending: await otel.sum(TELEMETRY_METRICS.poolPendingRuns),
    })
    expect(await gauges()).toEqual({ busy: 0, idle: 1, pending: 0 })
    let during: unknown
    let waiting: Promise<unknown> | undefined
    const seen = await backend.run('look()', {
      externalFunctions: {
        // Called from Python while the run holds the pool's only process: a second run waits.
        look: async () => {
          waiting = other.run('1')
          while (own.stats().waiting === 0) await new Promise((resolve) => setImmediate(resolve))
          during = await gauges()
          return 1
        },
      },
    })
    expect(seen.result).toBe(1)
    await waiting
    // Two backends on one pool with one meter: the pool is reported once.
    expect(during).toEqual({ busy: 1, idle: 0, pending: 1 })
    const points = await otel.points(TELEMETRY_METRICS.poolProcesses, { 'pyflue.python.pool.state': 'idle' })
    expect(points).toHaveLength(1)
    expect(points[0]!.attributes).toMatchObject({ 'pyflue.python.backend': 'monty' })
    await backend.close()
    await other.close()
    await own.close()
    // A closed pool has no processes.
    expect(await gauges()).toEqual({ busy: 0, idle: 0, pending: 0 })
  })

  it('the factory instruments every backend it makes; telemetry: true uses the global providers', async () => {
    const otel = memoryTelemetry()
    trace.setGlobalTracerProvider(otel.tracerProvider)
    try {
      const factory = montyBackend({ execution: 'in-thread-trusted-code-only', telemetry: true })
      const first = await factory.createBackend({ sessionId: 'a' })
      const second = await factory.createBackend({ sessionId: 'b' })
      await first.run('1')
      await second.run('2')
      await first.close()
      await second.close()
    } finally {
      trace.disable()
    }
    const runs = spansNamed(otel.spans(), 'pyflue.python.run')
    expect(runs).toHaveLength(2)
    expect(runs.map((span) => span.instrumentationScope.name)).toEqual([
      '@pyflue/backend-monty',
      '@pyflue/backend-monty',
    ])
  })

  it('refuses unknown telemetry keys and values that are not a tracer or a meter', () => {
    expect(() => createMontyBackend({ telemetry: { tracr: {} } as never })).toThrow(/Did you mean `tracer`/)
    expect(() => montyBackend({ telemetry: { recordcode: true } as never })).toThrow(InvalidArgumentError)
    expect(() => createMontyBackend({ telemetry: { tracer: {} as never } })).toThrow(/OpenTelemetry Tracer/)
    expect(() => createMontyBackend({ telemetry: {} })).toThrow(InvalidArgumentError)
    expect(() => createMontyBackend({ telemetry: 'on' as never })).toThrow(InvalidArgumentError)
  })

  it('off, the backend is the class instance itself', async () => {
    const backend = createMontyBackend({ execution: 'in-thread-trusted-code-only', telemetry: false })
    expect(Object.getPrototypeOf(backend)).toBe(MontyBackend.prototype)
    await backend.close()
  })
})
