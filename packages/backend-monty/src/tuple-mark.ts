/**
 * Values cross to and from a pool process by Node's advanced (structured clone) serialization,
 * which keeps `Map`, `Set`, `bigint`, bytes, NaN and -0. The one thing it drops, the own
 * `__tuple__` mark of arrays that are Python tuples, is carried as `{ __pf_tuple__: [...] }`.
 */
export function markTuples(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out = value.map(markTuples)
    return (value as { __tuple__?: unknown }).__tuple__ === true ? { __pf_tuple__: out } : out
  }
  if (value instanceof Map) {
    const out = new Map()
    for (const [key, entry] of value) out.set(markTuples(key), markTuples(entry))
    return out
  }
  if (value instanceof Set) {
    const out = new Set()
    for (const item of value) out.add(markTuples(item))
    return out
  }
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) out[key] = markTuples((value as Record<string, unknown>)[key])
    return out
  }
  return value
}

/** The inverse of `markTuples`; bytes come back as `Buffer`s, as Monty hands them out. */
export function unmarkTuples(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unmarkTuples)
  if (value instanceof Map) {
    const out = new Map()
    for (const [key, entry] of value) out.set(unmarkTuples(key), unmarkTuples(entry))
    return out
  }
  if (value instanceof Set) {
    const out = new Set()
    for (const item of value) out.add(unmarkTuples(item))
    return out
  }
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const keys = Object.keys(value)
    if (keys.length === 1 && keys[0] === '__pf_tuple__') {
      const items = ((value as { __pf_tuple__: unknown[] }).__pf_tuple__ ?? []).map(unmarkTuples)
      Object.defineProperty(items, '__tuple__', { value: true, enumerable: true })
      return items
    }
    const out: Record<string, unknown> = {}
    for (const key of keys) out[key] = unmarkTuples((value as Record<string, unknown>)[key])
    return out
  }
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  }
  return value
}
