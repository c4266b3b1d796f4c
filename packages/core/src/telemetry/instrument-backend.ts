/**
 * A `PythonBackend` that traces and counts its runs: each `run` is a `pyflue.python.run` span
 * (backend, code length, script name, outcome, limit hit, error type; the code itself only with
 * `recordCode`) and a count and a duration in the run metrics; each external function Python
 * calls during the run is a `pyflue.python.external_call` span inside it. Everything else goes to
 * the backend unchanged (a `Proxy`, so a backend's own extra methods stay reachable).
 */
import type {
  ExternalFunctions,
  PythonBackend,
  PythonRunOptions,
  PythonRunResult,
} from '../python-backend.js'
import { describeFailure } from './failure.js'
import { instrumentationOf, instrumented } from './forward.js'
import type { Telemetry } from './telemetry.js'
import { ATTR, SPAN } from './telemetry-names.js'
import type { TelemetryAttributes } from './telemetry-types.js'

/**
 * The method a backend may have under this key to report figures of its own (a pool's gauges)
 * to the telemetry it is instrumented with; `instrumentPythonBackend` calls it once. Registered
 * (`Symbol.for`), so a third-party backend implements it without importing our code.
 */
export const OBSERVE_TELEMETRY: unique symbol = Symbol.for('pyflue.telemetry.observe') as never

/** A backend (or anything) that reports its own figures to a `Telemetry` (see `OBSERVE_TELEMETRY`). */
export interface ObservedByTelemetry {
  [OBSERVE_TELEMETRY]?(telemetry: Telemetry): void
}

/**
 * `backend` with its runs traced and counted. `backend` itself when telemetry is off, and when
 * it is already instrumented (made with its own `telemetry` option, or wrapped before): its runs
 * are traced once, by the telemetry it has.
 */
export function instrumentPythonBackend(backend: PythonBackend, telemetry: Telemetry): PythonBackend {
  if (!telemetry.enabled || instrumentationOf(backend) !== undefined) return backend
  ;(backend as ObservedByTelemetry)[OBSERVE_TELEMETRY]?.(telemetry)
  const name = backend.name
  const run = (code: string, options?: PythonRunOptions): Promise<PythonRunResult> => {
    const attributes: TelemetryAttributes = {
      [ATTR.backend]: name,
      [ATTR.codeLength]: typeof code === 'string' ? code.length : undefined,
      [ATTR.scriptName]: options?.scriptName,
    }
    if (telemetry.recordCode && typeof code === 'string') attributes[ATTR.code] = code
    return telemetry.spanAsync(SPAN.pythonRun, attributes, (span) => {
      const started = telemetry.metered ? performance.now() : 0
      const given = options?.externalFunctions
      const traced =
        given !== null && typeof given === 'object'
          ? { ...options, externalFunctions: traceExternalFunctions(given, telemetry) }
          : options
      let running: Promise<PythonRunResult>
      try {
        running = backend.run(code, traced)
      } catch (error) {
        running = Promise.reject(error)
      }
      return running.then(
        (result) => {
          span?.setAttribute(ATTR.outcome, 'ok')
          if (telemetry.metered) telemetry.recordRun(name, 'ok', (performance.now() - started) / 1000)
          return result
        },
        (error: unknown) => {
          const facts = describeFailure(error)
          telemetry.recordRun(name, facts.outcome, (performance.now() - started) / 1000, facts.limit)
          if (facts.outcome === 'aborted') telemetry.recordAbort('python.run')
          throw error
        },
      )
    })
  }
  return instrumented(backend, telemetry, { run })
}

/**
 * Each function wrapped in a span, bound to the run's context (a backend may call it from a
 * callback of its worker). An async function stays an async function and a plain one plain, so
 * the backend classifies them as before.
 */
function traceExternalFunctions(functions: ExternalFunctions, telemetry: Telemetry): ExternalFunctions {
  const traced: ExternalFunctions = {}
  for (const [name, entry] of Object.entries(functions)) {
    const attributes = { [ATTR.functionName]: name }
    if (typeof entry === 'function') {
      const call = (...args: unknown[]) => telemetry.span(SPAN.externalCall, attributes, () => entry(...args))
      const bound = telemetry.bind(call)
      traced[name] = isAsyncFunction(entry)
        ? async (...args: unknown[]) => bound(...args)
        : (...args: unknown[]) => bound(...args)
    } else if (typeof entry === 'object' && entry !== null && typeof entry.execute === 'function') {
      const execute = entry.execute.bind(entry)
      const bound = telemetry.bind((args: unknown) =>
        telemetry.span(SPAN.externalCall, attributes, () => execute(args as never)),
      )
      traced[name] = { ...entry, execute: (args: unknown) => bound(args) }
    } else {
      traced[name] = entry
    }
  }
  return traced
}

function isAsyncFunction(fn: unknown): boolean {
  return (fn as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'AsyncFunction'
}
