/**
 * Renders a value that came out of Python (through a backend's value table) the way Python's
 * `repr` would show it, so a model reads `None`, `True`, `(1, 2)` and `{'a': 1}` rather than
 * JSON. Long or deep values are shortened with `...`.
 */
export function pythonRepr(value: unknown, depth = 0): string {
  if (depth > 8) return '...'
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan'
    if (value === Number.POSITIVE_INFINITY) return 'inf'
    if (value === Number.NEGATIVE_INFINITY) return '-inf'
    return String(value)
  }
  if (typeof value === 'string') return quote(value)
  if (typeof value === 'function') return `<function ${value.name || '<anonymous>'}>`
  if (value instanceof Uint8Array) return `b${quote(Buffer.from(value).toString('latin1'))}`
  if (value instanceof Map) {
    const items = [...value].map(([k, v]) => `${pythonRepr(k, depth + 1)}: ${pythonRepr(v, depth + 1)}`)
    return `{${items.join(', ')}}`
  }
  if (value instanceof Set) {
    if (value.size === 0) return 'set()'
    return `{${[...value].map((v) => pythonRepr(v, depth + 1)).join(', ')}}`
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => pythonRepr(v, depth + 1))
    if ((value as { __tuple__?: unknown }).__tuple__ === true) {
      return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`
    }
    return `[${items.join(', ')}]`
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>
    if (
      record.__monty_type__ === 'Dataclass' &&
      typeof record.fields === 'object' &&
      record.fields !== null
    ) {
      const fields = record.fields as Record<string, unknown>
      const names = Array.isArray(record.fieldNames) ? (record.fieldNames as string[]) : Object.keys(fields)
      const shown = names.map((name) => `${name}=${pythonRepr(fields[name], depth + 1)}`)
      return `${String(record.name ?? 'Dataclass')}(${shown.join(', ')})`
    }
    if (record.__monty_type__ === 'Date')
      return `datetime.date(${record.year}, ${record.month}, ${record.day})`
    if (record.__monty_type__ === 'Exception')
      return `${String(record.excType)}(${quote(String(record.message ?? ''))})`
    if (value instanceof Date) return `datetime.datetime.fromisoformat(${quote(value.toISOString())})`
    const constructorName = (value as object).constructor?.name
    const entries = Object.entries(record).map(([k, v]) => `${quote(k)}: ${pythonRepr(v, depth + 1)}`)
    const body = `{${entries.join(', ')}}`
    return constructorName && constructorName !== 'Object' ? `${constructorName}(${body})` : body
  }
  return String(value)
}

/** Quotes a string as Python does: single quotes unless the text holds one and no double quote. */
function quote(text: string): string {
  const useDouble = text.includes("'") && !text.includes('"')
  const q = useDouble ? '"' : "'"
  let out = ''
  for (const ch of text) {
    if (ch === '\\') out += '\\\\'
    else if (ch === q) out += `\\${q}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`
    else out += ch
  }
  return `${q}${out}${q}`
}
