import { ValueConversionError } from '@pyflue/core'
import type { DataclassRegistry } from './dataclass-registry.js'
import { chargeValue, type ValueBudget } from './value-budget.js'

/**
 * The value table (see the README). Values are held in two forms:
 * - the *JS form* callers see (plain objects, arrays, `Set`, `Map`, `Uint8Array`, …), and
 * - the *Monty form* `@pydantic/monty` accepts and returns (dicts as `Map`, tuples as arrays with
 *   an own `__tuple__: true`, tagged objects for dates and dataclasses).
 * The session namespace keeps Monty forms, so an untouched variable is never converted.
 */

/** How deep a value may nest before it is refused. */
export const MAX_VALUE_DEPTH = 200

/** Tagged objects Monty produces that are data and cross unchanged. */
const DATA_TAGS = new Set(['Date', 'DateTime', 'TimeDelta', 'Time', 'TimeZone', 'Exception'])

/** Marks an array as a Python tuple. */
export function tuple<T extends unknown[]>(...items: T): T & { readonly __tuple__: true } {
  Object.defineProperty(items, '__tuple__', { value: true, enumerable: true })
  return items as T & { readonly __tuple__: true }
}

/** True for an array marked as a Python tuple. */
export function isTuple(value: unknown): value is unknown[] & { readonly __tuple__: true } {
  return Array.isArray(value) && (value as { __tuple__?: unknown }).__tuple__ === true
}

function markTuple(target: unknown[], source: unknown[]): unknown[] {
  if ((source as { __tuple__?: unknown }).__tuple__ === true) {
    Object.defineProperty(target, '__tuple__', { value: true, enumerable: true })
  }
  return target
}

function refuse(path: string, found: string, message: string): never {
  throw new ValueConversionError({ path, found, message })
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Converts a JS value to the Monty form, refusing what cannot cross with the path inside the
 * value. Charged to `budget` (`value-budget.ts`); an object reached twice converts once and its
 * conversion is shared, so a DAG stays a DAG.
 */
export function toMonty(
  value: unknown,
  path: string,
  registry: DataclassRegistry,
  budget: ValueBudget,
): unknown {
  const ancestors = new Set<object>()
  const seen = new Map<object, { out: unknown; nodes: number; bytes: number }>()
  const convert = (item: unknown, at: string, depth: number): unknown => {
    switch (typeof item) {
      case 'undefined':
        budget.charge(1, 0, at)
        return null
      case 'string':
        budget.charge(1, item.length, at)
        return item
      case 'boolean':
      case 'number':
      case 'bigint':
        budget.charge(1, 0, at)
        return item
      case 'function':
        return refuse(
          at,
          'function',
          'A JavaScript function cannot cross into Python as a value; pass it in externalFunctions',
        )
      case 'symbol':
        return refuse(at, 'symbol', 'A symbol cannot cross into Python')
    }
    if (item === null) {
      budget.charge(1, 0, at)
      return null
    }
    const object = item as object
    if (ancestors.has(object))
      refuse(at, 'cycle', 'The value contains a cycle, which cannot cross into Python')
    const known = seen.get(object)
    if (known) {
      budget.charge(known.nodes, known.bytes, at)
      return known.out
    }
    if (depth > MAX_VALUE_DEPTH)
      refuse(at, 'too-deep', `The value nests deeper than ${MAX_VALUE_DEPTH} levels`)
    const nodesBefore = budget.nodes
    const bytesBefore = budget.bytes
    ancestors.add(object)
    try {
      const out = convertObject(object, at, depth)
      seen.set(object, { out, nodes: budget.nodes - nodesBefore, bytes: budget.bytes - bytesBefore })
      return out
    } finally {
      ancestors.delete(object)
    }
  }
  const convertObject = (object: object, at: string, depth: number): unknown => {
    if (object instanceof Uint8Array) {
      budget.charge(1, object.byteLength, at)
      return Buffer.from(object)
    }
    if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) {
      return refuse(
        at,
        object.constructor.name,
        `A ${object.constructor.name} cannot cross into Python; use a Uint8Array for bytes`,
      )
    }
    if (object instanceof Date) {
      return refuse(
        at,
        'Date',
        "A JavaScript Date cannot cross into Python without loss; pass { __monty_type__: 'DateTime', year, month, day, hour, minute, second, microsecond } (see the README)",
      )
    }
    budget.charge(1, 0, at)
    if (Array.isArray(object)) {
      // The length is read once and checked before anything is allocated or read.
      const length = budget.reserve(object.length, at)
      const out = new Array(length)
      for (let i = 0; i < length; i++) out[i] = convert(object[i], `${at}[${i}]`, depth + 1)
      return markTuple(out, object)
    }
    if (object instanceof Set) {
      budget.reserve(object.size, at)
      const out = new Set()
      let i = 0
      for (const member of object) out.add(convert(member, `${at}{${i++}}`, depth + 1))
      return out
    }
    if (object instanceof Map) {
      budget.reserve(object.size * 2, at)
      const out = new Map()
      for (const [key, entry] of object) {
        const keyPath = `${at}[${typeof key === 'string' ? JSON.stringify(key) : String(key)}]`
        out.set(convert(key, `${keyPath}(key)`, depth + 1), convert(entry, keyPath, depth + 1))
      }
      return out
    }
    const dataclass = registry.forInstance(object)
    if (dataclass) {
      const fields: Record<string, unknown> = {}
      for (const field of dataclass.fields) {
        fields[field] = convert((object as Record<string, unknown>)[field], `${at}.${field}`, depth + 1)
      }
      return {
        __monty_type__: 'Dataclass',
        name: dataclass.name,
        typeId: dataclass.typeId,
        fieldNames: [...dataclass.fields],
        fields,
        frozen: dataclass.frozen,
      }
    }
    if (!isPlainObject(object)) {
      const name = object.constructor?.name ?? 'object'
      return refuse(
        at,
        name,
        `An instance of ${name} cannot cross into Python; register its class with registerDataclass() or pass a plain object`,
      )
    }
    const keys = Object.keys(object)
    budget.reserve(keys.length, at)
    const tag = (object as { __monty_type__?: unknown }).__monty_type__
    if (typeof tag === 'string') {
      if (tag === 'Dataclass' || DATA_TAGS.has(tag)) return { ...(object as object) }
      return refuse(at, tag, `The tagged value ${tag} cannot cross into Python`)
    }
    const out = new Map<string, unknown>()
    for (const key of keys) {
      out.set(key, convert((object as Record<string, unknown>)[key], `${at}.${key}`, depth + 1))
    }
    return out
  }
  try {
    return convert(value, path, 0)
  } catch (error) {
    if (error instanceof ValueConversionError) throw error
    // A getter or Proxy trap that throws, or a value too odd to walk.
    return refuse(
      path,
      'unreadable',
      `Reading the value threw ${(error as Error)?.name ?? 'an error'}: ${(error as Error)?.message ?? String(error)}`,
    )
  }
}

/**
 * A string that is exactly the repr Monty gives a function, module, range or iterator (what it
 * returns in their place). Checked only on strings nested in containers, where Python's type is
 * unknown; see the README for this one documented ambiguity.
 */
const NON_DATA_REPR =
  /^(?:<function '.*' at 0x[0-9a-f]+>|<module '[\w.]+'>|<(?:iterator|generator|coroutine)>|range\(-?\d+, -?\d+(?:, -?\d+)?\)|<re\.Match object; .*>|re\.compile\(.*\)|\[\.\.\.\]|\{\.\.\.\}|\(\.\.\.\))$/

/**
 * True when a string in `raw` (at any depth) reads like the text Monty gives a value that is not
 * data (a function, a module, a range, a cycle): only Python can then tell the two apart.
 */
export function readsLikeNonData(raw: unknown, depth = 0): boolean {
  if (typeof raw === 'string') return raw.length < 200 && NON_DATA_REPR.test(raw)
  if (typeof raw !== 'object' || raw === null || raw instanceof Uint8Array || depth > MAX_VALUE_DEPTH)
    return false
  if (Array.isArray(raw) || raw instanceof Set) {
    for (const item of raw) if (readsLikeNonData(item, depth + 1)) return true
    return false
  }
  if (raw instanceof Map) {
    for (const [key, value] of raw)
      if (readsLikeNonData(key, depth + 1) || readsLikeNonData(value, depth + 1)) return true
    return false
  }
  const fields = (raw as { __monty_type__?: unknown; fields?: Record<string, unknown> }).fields
  if ((raw as { __monty_type__?: unknown }).__monty_type__ === 'Dataclass' && fields) {
    return Object.values(fields).some((value) => readsLikeNonData(value, depth + 1))
  }
  return false
}

/** What a Monty value holds that is not data, with its path; `undefined` when it is all data. */
export function findNonData(
  raw: unknown,
  path: string,
  budget?: ValueBudget,
  trustStrings = false,
): { path: string; found: string } | undefined {
  if (typeof raw === 'string') {
    budget?.charge(1, raw.length, path)
    return undefined // a top-level string's Python type is checked exactly by the caller
  }
  let result: { path: string; found: string } | undefined
  const visit = (item: unknown, at: string, depth: number): boolean => {
    budget?.charge(
      1,
      typeof item === 'string' ? item.length : item instanceof Uint8Array ? item.byteLength : 0,
      at,
    )
    if (typeof item === 'string') {
      if (!trustStrings && item.length < 200 && NON_DATA_REPR.test(item)) {
        result = { path: at, found: describeRepr(item) }
        return false
      }
      return true
    }
    if (typeof item !== 'object' || item === null || item instanceof Uint8Array) return true
    if (depth > MAX_VALUE_DEPTH) {
      result = { path: at, found: 'too-deep' }
      return false
    }
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) if (!visit(item[i], `${at}[${i}]`, depth + 1)) return false
      return true
    }
    if (item instanceof Set) {
      let i = 0
      for (const member of item) if (!visit(member, `${at}{${i++}}`, depth + 1)) return false
      return true
    }
    if (item instanceof Map) {
      for (const [key, entry] of item) {
        const keyPath = `${at}[${typeof key === 'string' ? JSON.stringify(key) : String(key)}]`
        if (!visit(key, `${keyPath}(key)`, depth + 1) || !visit(entry, keyPath, depth + 1)) return false
      }
      return true
    }
    const tag = (item as { __monty_type__?: unknown }).__monty_type__
    if (tag === 'Dataclass') {
      const fields = (item as { fields: Record<string, unknown> }).fields
      for (const key of Object.keys(fields)) if (!visit(fields[key], `${at}.${key}`, depth + 1)) return false
      return true
    }
    if (typeof tag === 'string' && DATA_TAGS.has(tag)) return true
    result = {
      path: at,
      found: typeof tag === 'string' ? describeTag(item as Record<string, unknown>) : 'object',
    }
    return false
  }
  visit(raw, path, 0)
  return result
}

function describeRepr(repr: string): string {
  if (repr === '[...]' || repr === '{...}' || repr === '(...)') return 'cycle'
  if (repr.startsWith('<function')) return 'function'
  if (repr.startsWith('<module')) return 'module'
  if (repr.startsWith('range(')) return 'range'
  if (repr.startsWith('<re.Match')) return 're.Match'
  if (repr.startsWith('re.compile(')) return 're.Pattern'
  return repr.slice(1, -1)
}

function describeTag(item: Record<string, unknown>): string {
  const tag = String(item.__monty_type__)
  if (tag === 'BuiltinFunction') return 'builtin function'
  if (tag === 'Type') return 'type'
  return tag
}

/** Python type names whose Monty form is a string but which are not `str`. */
export function isNonDataTypeName(typeName: string, raw: unknown): boolean {
  return typeof raw === 'string' && typeName !== 'str'
}

/**
 * Converts a Monty value to the JS form, refusing what is not data with the path inside the value.
 * A top-level string is taken as a `str`: callers that do not know its Python type check it first.
 * With `checked`, the caller has established from Python's own account that it is all data
 * (`value-notes.ts`), and strings are never second-guessed by their text.
 */
export function fromMonty(
  raw: unknown,
  path: string,
  registry: DataclassRegistry,
  budget: ValueBudget,
  options: { checkTopLevelString?: boolean; checked?: boolean; trustStrings?: boolean } = {},
): unknown {
  let problem: { path: string; found: string } | undefined
  if (options.checked) chargeValue(raw, budget, path)
  else if (typeof raw === 'string') {
    budget.charge(1, raw.length, path)
    if (options.checkTopLevelString && raw.length < 200 && NON_DATA_REPR.test(raw)) {
      problem = { path, found: describeRepr(raw) }
    }
  } else problem = findNonData(raw, path, budget, options.trustStrings === true)
  if (problem) {
    refuse(
      problem.path,
      problem.found,
      `A Python ${problem.found} is not data and cannot cross into JavaScript; return data built from it instead`,
    )
  }
  const convert = (item: unknown): unknown => {
    if (typeof item !== 'object' || item === null) return item
    if (item instanceof Uint8Array) return new Uint8Array(item)
    if (Array.isArray(item)) return markTuple(item.map(convert), item)
    if (item instanceof Set) return new Set([...item].map(convert))
    if (item instanceof Map) {
      let stringKeys = true
      for (const key of item.keys()) {
        if (typeof key !== 'string') {
          stringKeys = false
          break
        }
      }
      if (!stringKeys) {
        const out = new Map()
        for (const [key, entry] of item) out.set(convert(key), convert(entry))
        return out
      }
      const out: Record<string, unknown> = {}
      for (const [key, entry] of item as Map<string, unknown>) {
        Object.defineProperty(out, key, {
          value: convert(entry),
          enumerable: true,
          writable: true,
          configurable: true,
        })
      }
      return out
    }
    const tagged = item as Record<string, unknown>
    if (tagged.__monty_type__ === 'Dataclass') {
      const fields = tagged.fields as Record<string, unknown>
      const registered = registry.byName(String(tagged.name))
      if (registered) {
        const Cls = registered.cls as unknown as new (...args: unknown[]) => unknown
        return new Cls(...registered.fields.map((field) => convert(fields[field])))
      }
      const converted: Record<string, unknown> = {}
      for (const key of Object.keys(fields)) converted[key] = convert(fields[key])
      return { ...tagged, fields: converted }
    }
    return { ...tagged }
  }
  return convert(raw)
}
