/** Python type names and short previews of session-form values (for `listVariables` and type stubs). */
import { PyFloat, PyFrozenSet, PyRange } from './python-values.js'

/** The Python type name of a Monty-form value. */
export function pythonTypeOf(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType'
  switch (typeof value) {
    case 'boolean':
      return 'bool'
    case 'number':
      return Number.isInteger(value) && !Object.is(value, -0) ? 'int' : 'float'
    case 'bigint':
      return 'int'
    case 'string':
      return 'str'
  }
  if (value instanceof Uint8Array) return 'bytes'
  if (value instanceof PyFloat) return 'float'
  if (value instanceof PyFrozenSet) return 'frozenset'
  if (value instanceof PyRange) return 'range'
  if (Array.isArray(value)) return (value as { __tuple__?: unknown }).__tuple__ === true ? 'tuple' : 'list'
  if (value instanceof Map) return 'dict'
  if (value instanceof Set) return 'set'
  const tagged = value as { __monty_type__?: unknown; name?: unknown }
  switch (tagged.__monty_type__) {
    case 'Dataclass':
      return String(tagged.name)
    case 'Date':
      return 'date'
    case 'DateTime':
      return 'datetime'
    case 'TimeDelta':
      return 'timedelta'
    case 'Exception':
      return 'Exception'
  }
  return 'object'
}

/** A type annotation for the type checker's stubs. */
export function stubTypeOf(value: unknown): string {
  const type = pythonTypeOf(value)
  switch (type) {
    case 'NoneType':
      return 'None'
    case 'bool':
    case 'int':
    case 'float':
    case 'str':
    case 'bytes':
      return type
    case 'list':
      return 'list[Any]'
    case 'tuple':
      return 'tuple[Any, ...]'
    case 'dict':
      return 'dict[Any, Any]'
    case 'set':
      return 'set[Any]'
    default:
      return 'Any'
  }
}

/** A short Python-like repr of a Monty-form value, cut at `max` characters. */
export function describeMontyValue(value: unknown, max: number): string {
  let out = ''
  const write = (text: string) => {
    out += text
    return out.length < max
  }
  const visit = (item: unknown, depth: number): boolean => {
    if (depth > 4) return write('…')
    if (item === null || item === undefined) return write('None')
    switch (typeof item) {
      case 'boolean':
        return write(item ? 'True' : 'False')
      case 'number':
        return write(
          Number.isNaN(item) ? 'nan' : Number.isFinite(item) ? String(item) : item > 0 ? 'inf' : '-inf',
        )
      case 'bigint':
        return write(item.toString())
      case 'string':
        return write(JSON.stringify(item))
    }
    if (item instanceof Uint8Array) return write(`b'<${item.length} bytes>'`)
    if (item instanceof PyFloat)
      return write(
        Object.is(item.value, -0)
          ? '-0.0'
          : Number.isSafeInteger(item.value)
            ? `${item.value}.0`
            : String(item.value),
      )
    if (item instanceof PyRange) {
      return write(`range(${item.start}, ${item.stop}${String(item.step) === '1' ? '' : `, ${item.step}`})`)
    }
    const many = (open: string, close: string, items: Iterable<unknown>, each: (x: any) => boolean) => {
      if (!write(open)) return false
      let first = true
      for (const x of items) {
        if (!first && !write(', ')) return false
        first = false
        if (!each(x)) return false
      }
      return write(close)
    }
    if (Array.isArray(item)) {
      const isTuple = (item as { __tuple__?: unknown }).__tuple__ === true
      return many(isTuple ? '(' : '[', isTuple ? ')' : ']', item, (x) => visit(x, depth + 1))
    }
    if (item instanceof Set) return many('{', '}', item, (x) => visit(x, depth + 1))
    if (item instanceof PyFrozenSet) return many('frozenset({', '})', item.items, (x) => visit(x, depth + 1))
    if (item instanceof Map) {
      return many(
        '{',
        '}',
        item,
        ([k, v]: [unknown, unknown]) => visit(k, depth + 1) && write(': ') && visit(v, depth + 1),
      )
    }
    const tagged = item as Record<string, unknown>
    if (tagged.__monty_type__ === 'Dataclass') {
      const fields = tagged.fields as Record<string, unknown>
      return many(
        `${String(tagged.name)}(`,
        ')',
        Object.entries(fields),
        ([k, v]: [string, unknown]) => write(`${k}=`) && visit(v, depth + 1),
      )
    }
    return write(pythonTypeOf(item))
  }
  visit(value, 0)
  return out.length > max ? `${out.slice(0, max - 1)}…` : out
}
