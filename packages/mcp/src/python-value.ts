// Values that came out of Python (through a backend's value table), shown two ways: as Python's
// `repr` would print them (the text a model reads) and as plain JSON (an MCP tool's
// `structuredContent`). Both shorten what is deep; neither throws on any value.

const MAX_DEPTH = 8

/** Python's `repr` of a value: `None`, `True`, `(1, 2)`, `{'a': 1}`; deep values end in `...`. */
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
    return `{${Object.entries(record)
      .map(([k, v]) => `${quote(k)}: ${inner(v)}`)
      .join(', ')}}`
  }
  return String(value)
}

/**
 * A JSON value for `value`: bigints that fit become numbers (others strings), non-finite numbers
 * their Python spelling, maps with string keys objects (others lists of pairs), sets and tuples
 * lists, bytes base64 text, dates ISO text, anything else its repr.
 */
export function toJsonValue(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) return '...'
  if (value === null || value === undefined) return null
  if (typeof value === 'boolean' || typeof value === 'string') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : pythonRepr(value)
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString()
  }
  const inner = (v: unknown) => toJsonValue(v, depth + 1)
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map(inner)
  if (value instanceof Set) return [...value].map(inner)
  if (value instanceof Map) {
    const entries = [...value]
    if (entries.every(([k]) => typeof k === 'string')) {
      return Object.fromEntries(entries.map(([k, v]) => [k, inner(v)]))
    }
    return entries.map(([k, v]) => [inner(k), inner(v)])
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>
    if (record.__monty_type__ === 'Dataclass' && typeof record.fields === 'object' && record.fields) {
      return toJsonValue(record.fields, depth)
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, inner(v)]))
  }
  return pythonRepr(value)
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

/** Shortens text to about `maxChars`, keeping its beginning and end around a marker saying how much was cut. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text
  const keep = Math.max(0, maxChars - 60)
  const head = Math.ceil(keep * 0.7)
  const tail = keep - head
  const cut = text.length - head - tail
  return `${text.slice(0, head)}\n[... ${cut} characters truncated ...]\n${text.slice(text.length - tail)}`
}
