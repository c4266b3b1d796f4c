/**
 * The `Proxy` handler the instrumenting wrappers share: the properties in `replaced` come from
 * there, every other property is read from the target, with methods bound to it (cached, so a
 * method read twice is the same function and costs one bind).
 */
export function forwardingHandler<T extends object>(
  replaced: Readonly<Record<string, unknown>>,
): ProxyHandler<T> {
  const bound = new Map<PropertyKey, { source: unknown; bound: unknown }>()
  return {
    get(target, property) {
      if (typeof property === 'string' && Object.hasOwn(replaced, property)) return replaced[property]
      const value = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      const cached = bound.get(property)
      if (cached?.source === value) return cached.bound
      const fresh = value.bind(target)
      bound.set(property, { source: value, bound: fresh })
      return fresh
    },
  }
}
