/**
 * Renders a value that came out of Python (through a backend's value table) the way Python's
 * `repr` would show it, so a model reads `None`, `True`, `(1, 2)` and `{'a': 1}` rather than
 * JSON. The text is built under a budget: once `maxChars` characters are written, nothing more
 * of the value is visited, so the work is bounded by the budget, not by the value (a 200 MB
 * string, a list reporting 2**32-1 items or a value sharing references along 2**24 paths cost
 * the same as a short one). Deep values are shortened with `...`.
 */

/** The default budget of `pythonRepr`, in characters. */
export const DEFAULT_REPR_MAX_CHARS = 8_000

/** Deepest nesting shown; deeper values are written `...`. */
const MAX_DEPTH = 8

/** Options of `pythonRepr`. */
export interface PythonReprOptions {
  /** Most characters of the value's text; past it the text ends with a truncation marker. Default 8000. */
  maxChars?: number
}

/** Marks the end of a repr that stopped at its budget. */
export const REPR_TRUNCATION_MARKER = '... [repr truncated]'

/** The Python repr of `value`, at most `maxChars` characters plus the truncation marker. */
export function pythonRepr(value: unknown, options: PythonReprOptions = {}): string {
  const maxChars = options.maxChars ?? DEFAULT_REPR_MAX_CHARS
  const out = new BoundedText(Number.isFinite(maxChars) && maxChars >= 0 ? Math.floor(maxChars) : 0)
  render(value, 0, out)
  return out.full ? `${out.text()}${REPR_TRUNCATION_MARKER}` : out.text()
}

/** Text written in pieces that stops accepting them once `budget` characters are in. */
class BoundedText {
  readonly #parts: string[] = []
  #length = 0
  full = false

  constructor(readonly budget: number) {}

  /** Characters that may still be written. */
  get remaining(): number {
    return this.budget - this.#length
  }

  write(piece: string): void {
    if (this.full) return
    if (this.#length + piece.length > this.budget) {
      this.#parts.push(piece.slice(0, this.budget - this.#length))
      this.#length = this.budget
      this.full = true
      return
    }
    this.#parts.push(piece)
    this.#length += piece.length
  }

  text(): string {
    return this.#parts.join('')
  }
}

function render(value: unknown, depth: number, out: BoundedText): void {
  if (out.full) return
  const scalar = depth > MAX_DEPTH ? '...' : scalarRepr(value, out.remaining)
  if (scalar !== undefined) out.write(scalar)
  else if (typeof value === 'string') writeQuoted(value, out)
  else if (value instanceof Uint8Array) {
    out.write('b')
    // Every byte takes at least one character, so no more than the budget's worth is decoded.
    const shown = value.subarray(0, out.remaining + 1)
    writeQuoted(latin1(shown), out)
  } else if (value instanceof Map) {
    out.write('{')
    let first = true
    for (const [k, v] of value) {
      if (out.full) return
      if (!first) out.write(', ')
      first = false
      render(k, depth + 1, out)
      out.write(': ')
      render(v, depth + 1, out)
    }
    out.write('}')
  } else if (value instanceof Set) {
    if (value.size === 0) out.write('set()')
    else {
      out.write('{')
      writeItems(value, depth, out)
      out.write('}')
    }
  } else if (Array.isArray(value)) {
    const isTuple = (value as { __tuple__?: unknown }).__tuple__ === true
    out.write(isTuple ? '(' : '[')
    const length = value.length
    for (let i = 0; i < length && !out.full; i++) {
      if (i > 0) out.write(', ')
      render(value[i], depth + 1, out)
    }
    if (isTuple && length === 1) out.write(',')
    out.write(isTuple ? ')' : ']')
  } else if (typeof value === 'object') renderObject(value as Record<string, unknown>, depth, out)
  else out.write(String(value))
}

/** The repr of a value that is not a container, a string or bytes; `undefined` for those. */
function scalarRepr(value: unknown, remaining: number): string | undefined {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'bigint') return boundedBigint(value, remaining)
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan'
    if (value === Number.POSITIVE_INFINITY) return 'inf'
    if (value === Number.NEGATIVE_INFINITY) return '-inf'
    return String(value)
  }
  if (typeof value === 'function') return `<function ${value.name || '<anonymous>'}>`
  return undefined
}

function writeItems(items: Iterable<unknown>, depth: number, out: BoundedText): void {
  let first = true
  for (const item of items) {
    if (out.full) return
    if (!first) out.write(', ')
    first = false
    render(item, depth + 1, out)
  }
}

function renderObject(record: Record<string, unknown>, depth: number, out: BoundedText): void {
  if (record.__monty_type__ === 'Dataclass' && typeof record.fields === 'object' && record.fields !== null) {
    const fields = record.fields as Record<string, unknown>
    const names = Array.isArray(record.fieldNames) ? (record.fieldNames as unknown[]) : Object.keys(fields)
    writeQuotedless(String(record.name ?? 'Dataclass'), out)
    out.write('(')
    for (let i = 0; i < names.length && !out.full; i++) {
      if (i > 0) out.write(', ')
      const name = String(names[i])
      writeQuotedless(name, out)
      out.write('=')
      render(fields[name], depth + 1, out)
    }
    out.write(')')
    return
  }
  if (record.__monty_type__ === 'Date') {
    out.write(`datetime.date(${record.year}, ${record.month}, ${record.day})`)
    return
  }
  if (record.__monty_type__ === 'Exception') {
    writeQuotedless(String(record.excType), out)
    out.write('(')
    writeQuoted(String(record.message ?? ''), out)
    out.write(')')
    return
  }
  if (record instanceof Date) {
    out.write('datetime.datetime.fromisoformat(')
    writeQuoted(Number.isNaN(record.getTime()) ? 'NaT' : record.toISOString(), out)
    out.write(')')
    return
  }
  const constructorName = (record as object).constructor?.name
  const wrapped =
    typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Object'
  if (wrapped) out.write(`${constructorName.slice(0, 200)}(`)
  out.write('{')
  let first = true
  for (const key in record) {
    if (out.full) return
    if (!Object.hasOwn(record, key)) continue
    if (!first) out.write(', ')
    first = false
    writeQuoted(key, out)
    out.write(': ')
    render(record[key], depth + 1, out)
  }
  out.write('}')
  if (wrapped) out.write(')')
}

/** Writes at most the budget's worth of `text` as it is (names of types and fields). */
function writeQuotedless(text: string, out: BoundedText): void {
  out.write(text.length > out.remaining + 1 ? text.slice(0, out.remaining + 1) : text)
}

/**
 * Writes `whole` quoted as Python does: single quotes unless the text holds one and no double
 * quote. Every character takes at least one character of output, so only the first `remaining`
 * characters are looked at (a truncated string picks its quotes from what is shown).
 */
function writeQuoted(whole: string, out: BoundedText): void {
  const text = whole.length > out.remaining + 1 ? whole.slice(0, out.remaining + 1) : whole
  const useDouble = text.includes("'") && !text.includes('"')
  const q = useDouble ? '"' : "'"
  out.write(q)
  let piece = ''
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (ch === '\\') piece += '\\\\'
    else if (ch === q) piece += `\\${q}`
    else if (ch === '\n') piece += '\\n'
    else if (ch === '\r') piece += '\\r'
    else if (ch === '\t') piece += '\\t'
    else if (ch < ' ' || ch === '\x7f') piece += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`
    else piece += ch
    if (piece.length >= 4096) {
      out.write(piece)
      piece = ''
      if (out.full) return
    }
  }
  out.write(piece)
  out.write(q)
}

/** The decimal digits of `value`, or as many leading ones as fit when it is very long. */
function boundedBigint(value: bigint, remaining: number): string {
  const magnitude = value < 0n ? -value : value
  // A bigint of more than ~3.3 bits per digit of budget cannot fit; say how long it is instead.
  if (magnitude.toString(16).length * 1.21 > remaining + 64) {
    const bits = magnitude.toString(2).length
    return `<int of about ${Math.ceil(bits * 0.30103)} digits>`
  }
  return value.toString()
}

/** `bytes` decoded one character per byte (as latin-1), in chunks so no argument list grows large. */
function latin1(bytes: Uint8Array): string {
  let text = ''
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096))
  }
  return text
}
