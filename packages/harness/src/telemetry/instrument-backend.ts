/**
 * A `PythonBackend` that traces and counts its runs: each `run` is a `pyflue.python.run` span
 * (backend, code length, script name, outcome, limit hit, error type; the code itself only with
 * `recordCode`) and a count and a duration in the run metrics; each external function Python
 * calls during the run is a `pyflue.python.external_call` span inside it. Everything else goes to
 * the backend unchanged (a `Proxy`, so a backend's own extra methods stay reachable).
 */
import type { ExternalFunctions, PythonBackend, PythonRunOptions } from '@pyflue/core'
import { ATTR, SPAN } from './attributes.js'
import { describeFailure } from './failure.js'
import { forwardingHandler } from './forward.js'
import type { Telemetry } from './telemetry.js'

/** `backend` with its runs traced and counted; `backend` itself when telemetry is off. */
export function instrumentPythonBackend(backend: PythonBackend, telemetry: Telemetry): PythonBackend {
  if (!telemetry.enabled) return backend
  const run = (code: string, options?: PythonRunOptions) => {
    const name = backend.name
    const attributes = {
      [ATTR.backend]: name,
      [ATTR.codeLength]: typeof code === 'string' ? code.length : undefined,
      [ATTR.scriptName]: options?.scriptName,
      ...(telemetry.recordCode && typeof code === 'string' ? { [ATTR.code]: code } : {}),
    }
    return telemetry.spanAsync(SPAN.pythonRun, attributes, async (span) => {
      const started = telemetry.metered ? performance.now() : 0
      const given = options?.externalFunctions
      const traced =
        given !== null && typeof given === 'object'
          ? { ...options, externalFunctions: traceExternalFunctions(given, telemetry) }
          : options
      try {
        const result = await backend.run(code, traced)
        span?.setAttribute(ATTR.outcome, 'ok')
        if (telemetry.metered) telemetry.recordRun(name, 'ok', (performance.now() - started) / 1000)
        return result
      } catch (error) {
        const facts = describeFailure(error)
        telemetry.recordRun(name, facts.outcome, (performance.now() - started) / 1000, facts.limit)
        if (facts.outcome === 'aborted') telemetry.recordAbort('python.run')
        throw error
      }
    })
  }
  return new Proxy(backend, forwardingHandler<PythonBackend>({ run }))
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
