/**
 * The `Proxy` the instrumenting wrappers share, and the mark it carries: the properties in
 * `replaced` come from there, every other property is read from the target, with methods bound
 * to it (cached, so a method read twice is the same function and costs one bind). Every such
 * proxy answers `INSTRUMENTATION` with the object it wraps and its telemetry, so that nothing is
 * instrumented twice (a harness given a backend that has its own telemetry) and a wrapper made
 * over it (a sandbox policy) can be instrumented in its place.
 */
import type { Telemetry } from './telemetry.js'

/**
 * The key under which an instrumented object answers its `Instrumentation`. Registered
 * (`Symbol.for`), so two copies of `@pyflue/core` in one application agree on it.
 */
export const INSTRUMENTATION: unique symbol = Symbol.for('pyflue.telemetry.instrumentation') as never

/** What an instrumented object answers under `INSTRUMENTATION`. */
export interface Instrumentation<T extends object = object> {
  /** The object without its instrumentation. */
  readonly target: T
  /** The telemetry its spans and metrics go to. */
  readonly telemetry: Telemetry
}

/** The instrumentation of `value` when it was made by `instrumentPythonBackend` or `instrumentSandbox`. */
export function instrumentationOf<T extends object>(value: T): Instrumentation<T> | undefined {
  const found = (value as { [INSTRUMENTATION]?: unknown })[INSTRUMENTATION]
  return typeof found === 'object' && found !== null ? (found as Instrumentation<T>) : undefined
}

/** `target` behind a `Proxy` whose `replaced` properties win; it answers `INSTRUMENTATION`. */
export function instrumented<T extends object>(
  target: T,
  telemetry: Telemetry,
  replaced: Readonly<Record<string, unknown>>,
): T {
  const own = new Map<PropertyKey, unknown>(Object.entries(replaced))
  own.set(INSTRUMENTATION, { target, telemetry } satisfies Instrumentation<T>)
  const bound = new Map<PropertyKey, { source: unknown; bound: unknown }>()
  return new Proxy(target, {
    get(object, property) {
      const mine = own.get(property)
      if (mine !== undefined) return mine
      const value = Reflect.get(object, property, object)
      if (typeof value !== 'function') return value
      const cached = bound.get(property)
      if (cached?.source === value) return cached.bound
      const fresh = value.bind(object)
      bound.set(property, { source: value, bound: fresh })
      return fresh
    },
  })
}
