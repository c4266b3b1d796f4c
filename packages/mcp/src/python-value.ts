// Values that came out of Python (through a backend's value table) as plain JSON, for an MCP
// tool's `structuredContent`. The conversion works to a character budget, like `pythonRepr` in
// @pyflue/core (which gives the text a model reads): once the budget is spent nothing more of
// the value is visited, so a 200 MB string, a list reporting 2**32-1 items or a value sharing
// references along 2**24 paths cost the same as a short one. It never throws.

import { pythonRepr } from '@pyflue/core'

/** Deepest nesting converted; deeper values become the string `'...'`. */
const MAX_DEPTH = 8

/** The default budget of `toJsonValue`: about this many characters of JSON are produced. */
export const DEFAULT_JSON_MAX_CHARS = 8_000

/** Marks a string, or the last item of a container, where the budget ran out. */
export const JSON_TRUNCATION_MARKER = '... [truncated]'

/**
 * A JSON value for `value`: bigints that fit become numbers (others strings), non-finite numbers
 * their Python spelling, maps with string keys objects (others lists of pairs), sets and tuples
 * lists, bytes base64 text, dates ISO text, anything else its repr. At most about `maxChars`
 * characters of JSON are produced: a long string is cut and ends with `JSON_TRUNCATION_MARKER`,
 * and a container whose budget ran out ends with that marker as its last item.
 */
export function toJsonValue(value: unknown, maxChars = DEFAULT_JSON_MAX_CHARS): unknown {
  const budget = { left: Number.isFinite(maxChars) && maxChars > 0 ? Math.floor(maxChars) : 0 }
  return convert(value, 0, budget)
}

interface Budget {
  left: number
}

function convert(value: unknown, depth: number, budget: Budget): unknown {
  if (depth > MAX_DEPTH) return spend(budget, '...')
  if (value === null || value === undefined) return spend(budget, null, 4)
  if (typeof value === 'boolean') return spend(budget, value, 5)
  if (typeof value === 'string') return cutString(value, budget)
  if (typeof value === 'number')
    return Number.isFinite(value) ? spend(budget, value, 24) : spend(budget, pythonRepr(value))
  if (typeof value === 'bigint') {
    if (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER))
      return spend(budget, Number(value), 24)
    return cutString(pythonRepr(value, { maxChars: budget.left }), budget)
  }
  if (value instanceof Uint8Array) {
    // Four base64 characters per three bytes: only the bytes that fit are encoded.
    const shown = value.subarray(0, Math.max(0, Math.floor((budget.left * 3) / 4)))
    const text = base64(shown)
    budget.left -= text.length
    return shown.length < value.length ? `${text}${JSON_TRUNCATION_MARKER}` : text
  }
  if (value instanceof Date) return spend(budget, Number.isNaN(value.getTime()) ? 'NaT' : value.toISOString())
  if (Array.isArray(value)) return items(arrayItems(value), depth, budget)
  if (value instanceof Set) return items(value, depth, budget)
  if (value instanceof Map) {
    const out: Record<string, unknown> = {}
    const pairs: unknown[] = []
    let allStringKeys = true
    for (const [k] of value) if (typeof k !== 'string') allStringKeys = false
    for (const [k, v] of value) {
      if (budget.left <= 0) {
        if (allStringKeys) out[JSON_TRUNCATION_MARKER] = true
        else pairs.push(JSON_TRUNCATION_MARKER)
        break
      }
      if (allStringKeys) out[cutString(k as string, budget) as string] = convert(v, depth + 1, budget)
      else pairs.push([convert(k, depth + 1, budget), convert(v, depth + 1, budget)])
    }
    return allStringKeys ? out : pairs
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>
    if (record.__monty_type__ === 'Dataclass' && typeof record.fields === 'object' && record.fields) {
      return convert(record.fields, depth, budget)
    }
    const out: Record<string, unknown> = {}
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue
      if (budget.left <= 0) {
        out[JSON_TRUNCATION_MARKER] = true
        break
      }
      out[cutString(key, budget) as string] = convert(record[key], depth + 1, budget)
    }
    return out
  }
  return cutString(pythonRepr(value, { maxChars: budget.left }), budget)
}

/** The items of an array without trusting its reported length (a Proxy may claim 2**32-1). */
function* arrayItems(array: readonly unknown[]): Generator<unknown> {
  const length = array.length
  for (let i = 0; i < length; i++) yield array[i]
}

/** A JSON array of `source`'s items, stopping (with the marker as last item) when the budget is spent. */
function items(source: Iterable<unknown>, depth: number, budget: Budget): unknown[] {
  const out: unknown[] = []
  for (const item of source) {
    if (budget.left <= 0) {
      out.push(JSON_TRUNCATION_MARKER)
      break
    }
    budget.left -= 1
    out.push(convert(item, depth + 1, budget))
  }
  return out
}

function spend<T>(budget: Budget, value: T, cost = typeof value === 'string' ? value.length + 2 : 4): T {
  budget.left -= cost
  return value
}

function cutString(text: string, budget: Budget): string {
  const room = Math.max(0, budget.left - 2)
  budget.left -= Math.min(text.length, room) + 2
  return text.length > room ? `${text.slice(0, room)}${JSON_TRUNCATION_MARKER}` : text
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
