/**
 * Values cross to and from a pool process by Node's advanced (structured clone) serialization,
 * which keeps `Map`, `Set`, `bigint`, bytes, NaN and -0, and shared references. The one thing it
 * drops, the own `__tuple__` mark of arrays that are Python tuples, is carried as
 * `{ __pf_tuple__: [...] }`. Both directions walk each object once (a shared part stays shared),
 * and `markTuples` can charge a `ValueBudget` as it goes (the pool process does, so a value over
 * budget is refused before it is sent).
 */
import { ValueConversionError } from '@pyflue/core'
import type { ValueBudget } from './value-budget.js'
import { MAX_VALUE_DEPTH } from './value-conversion.js'

export function markTuples(value: unknown, budget?: ValueBudget, path = 'value'): unknown {
  const seen = new Map<object, { out: unknown; nodes: number; bytes: number }>()
  const mark = (item: unknown, depth = 0): unknown => {
    if (item === null || typeof item !== 'object') {
      budget?.charge(1, typeof item === 'string' ? item.length : 0, path)
      return item
    }
    const known = seen.get(item)
    if (known) {
      budget?.charge(known.nodes, known.bytes, path)
      return known.out
    }
    if (depth > MAX_VALUE_DEPTH + 10) {
      throw new ValueConversionError({
        path,
        found: 'too-deep',
        message: `The value nests deeper than ${MAX_VALUE_DEPTH} levels`,
      })
    }
    const next = (child: unknown) => mark(child, depth + 1)
    const nodesBefore = budget?.nodes ?? 0
    const bytesBefore = budget?.bytes ?? 0
    let out: unknown
    if (ArrayBuffer.isView(item)) {
      budget?.charge(1, item.byteLength, path)
      out = item
    } else {
      budget?.charge(1, 0, path)
      if (Array.isArray(item)) {
        budget?.reserve(item.length, path)
        const items = item.map(next)
        out = (item as { __tuple__?: unknown }).__tuple__ === true ? { __pf_tuple__: items } : items
      } else if (item instanceof Map) {
        budget?.reserve(item.size * 2, path)
        const map = new Map()
        for (const [key, entry] of item) map.set(next(key), next(entry))
        out = map
      } else if (item instanceof Set) {
        budget?.reserve(item.size, path)
        const set = new Set()
        for (const member of item) set.add(next(member))
        out = set
      } else {
        const keys = Object.keys(item)
        budget?.reserve(keys.length, path)
        const object: Record<string, unknown> = {}
        for (const key of keys) object[key] = next((item as Record<string, unknown>)[key])
        out = object
      }
    }
    seen.set(item, {
      out,
      nodes: (budget?.nodes ?? 0) - nodesBefore,
      bytes: (budget?.bytes ?? 0) - bytesBefore,
    })
    return out
  }
  return mark(value)
}

/** The inverse of `markTuples`; bytes come back as `Buffer`s, as Monty hands them out. */
export function unmarkTuples(value: unknown): unknown {
  const seen = new Map<object, unknown>()
  const unmark = (item: unknown): unknown => {
    if (item === null || typeof item !== 'object') return item
    if (seen.has(item)) return seen.get(item)
    let out: unknown
    if (Array.isArray(item)) out = item.map(unmark)
    else if (item instanceof Map) {
      const map = new Map()
      for (const [key, entry] of item) map.set(unmark(key), unmark(entry))
      out = map
    } else if (item instanceof Set) {
      const set = new Set()
      for (const member of item) set.add(unmark(member))
      out = set
    } else if (ArrayBuffer.isView(item)) {
      out =
        item instanceof Uint8Array && !Buffer.isBuffer(item)
          ? Buffer.from(item.buffer, item.byteOffset, item.byteLength)
          : item
    } else {
      const keys = Object.keys(item)
      if (keys.length === 1 && keys[0] === '__pf_tuple__') {
        const items = ((item as { __pf_tuple__: unknown[] }).__pf_tuple__ ?? []).map(unmark)
        Object.defineProperty(items, '__tuple__', { value: true, enumerable: true })
        out = items
      } else {
        const object: Record<string, unknown> = {}
        for (const key of keys) object[key] = unmark((item as Record<string, unknown>)[key])
        out = object
      }
    }
    seen.set(item, out)
    return out
  }
  return unmark(value)
}
