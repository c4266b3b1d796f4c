// Values that came out of Python (through a backend's value table) shown as Python's `repr`
// would print them, so a model reads `None`, `True`, `(1, 2)` and `{'a': 1}` rather than JSON.
// Deep values end in `...`; no value makes it throw.

const MAX_DEPTH = 8

/** Python's `repr` of a value converted by a backend. */
export function pythonRepr(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) return '...'
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan'
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf'
    return String(value)
  }
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'string') return quote(value)
  if (typeof value === 'function') return `<function ${value.name || '<anonymous>'}>`
  if (value instanceof Uint8Array) return `b${quote(Buffer.from(value).toString('latin1'))}`
  const inner = (v: unknown) => pythonRepr(v, depth + 1)
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${inner(k)}: ${inner(v)}`).join(', ')}}`
  if (value instanceof Set) return value.size === 0 ? 'set()' : `{${[...value].map(inner).join(', ')}}`
  if (Array.isArray(value)) {
    const items = value.map(inner)
    if ((value as { __tuple__?: unknown }).__tuple__ !== true) return `[${items.join(', ')}]`
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`
  }
  if (value instanceof Date) return `datetime.datetime.fromisoformat(${quote(value.toISOString())})`
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>
    if (record.__monty_type__ === 'Dataclass' && typeof record.fields === 'object' && record.fields) {
      const fields = record.fields as Record<string, unknown>
      const shown = Object.keys(fields).map((name) => `${name}=${inner(fields[name])}`)
      return `${String(record.name ?? 'Dataclass')}(${shown.join(', ')})`
    }
    if (record.__monty_type__ === 'Date')
      return `datetime.date(${record.year}, ${record.month}, ${record.day})`
    if (record.__monty_type__ === 'Exception') {
      return `${String(record.excType)}(${quote(String(record.message ?? ''))})`
    }
    return `{${Object.entries(record)
      .map(([k, v]) => `${quote(k)}: ${inner(v)}`)
      .join(', ')}}`
  }
  return String(value)
}

/** Quotes text as Python does: single quotes unless the text holds one and no double quote. */
function quote(text: string): string {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = ''
  for (const ch of text) {
    if (ch === '\\' || ch === q) out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`
    else out += ch
  }
  return `${q}${out}${q}`
}
