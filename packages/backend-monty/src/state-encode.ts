/**
 * Writing the bytes of `state-format.ts`: `encodeState` all at once, `encodeStateInSlices` a
 * slice at a time with the event loop free between slices.
 *
 * - One encoder serves both: it walks the value with an explicit stack (no recursion, so no
 *   nesting depth overflows the JS stack) in the same pre-order as the format describes, and
 *   stops after every `VALUES_PER_STEP` values so the caller can decide whether to yield.
 *   Both functions therefore give byte-identical output for the same value.
 * - `encodeStateInSlices` keeps each slice of work on the calling thread short (`slices.ts`),
 *   so timers, I/O and other sessions run while a big namespace is serialised. The checksum is
 *   computed in slices too.
 * - The value must not change while it is encoded: the backend encodes inside its queue, where
 *   no run can commit meanwhile.
 * - Session values are at most `MAX_VALUE_DEPTH` (200) deep (deeper ones are not kept), well
 *   inside the nesting the reader accepts.
 */
import { crc32 } from 'node:zlib'
import { StateFormatError } from '@pyflue/core'
import { PyFloat, PyFrozenSet, PyRange } from './python-values.js'
import { type SliceOptions, Slicer } from './slices.js'
import { STATE_FORMAT_VERSION, STATE_HEADER_BYTES, STATE_MAGIC, Tag } from './state-format.js'

/** Values written between two chances to yield. */
const VALUES_PER_STEP = 2048
/** Payload bytes checksummed between two chances to yield. */
const CRC_CHUNK_BYTES = 1 << 20

class Writer {
  #buffer = Buffer.allocUnsafe(1024)
  #length = 0

  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return
    const next = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + bytes))
    this.#buffer.copy(next, 0, 0, this.#length)
    this.#buffer = next
  }
  skip(bytes: number): void {
    this.#reserve(bytes)
    this.#length += bytes
  }
  byte(value: number): void {
    this.#reserve(1)
    this.#buffer[this.#length++] = value
  }
  u32(value: number): void {
    this.#reserve(4)
    this.#buffer.writeUInt32BE(value, this.#length)
    this.#length += 4
  }
  f64(value: number): void {
    this.#reserve(8)
    this.#buffer.writeDoubleBE(value, this.#length)
    this.#length += 8
  }
  bytes(value: Uint8Array): void {
    this.u32(value.length)
    this.#reserve(value.length)
    this.#buffer.set(value, this.#length)
    this.#length += value.length
  }
  string(value: string): void {
    const length = Buffer.byteLength(value)
    this.u32(length)
    this.#reserve(length)
    this.#buffer.write(value, this.#length, 'utf8')
    this.#length += length
  }
  /** The bytes written, as a buffer of their own (never a view of a shared pool). */
  result(): Uint8Array {
    return new Uint8Array(this.#buffer.subarray(0, this.#length))
  }
}

/** A container whose children are still to be written. */
type Frame =
  | { readonly kind: 'items'; readonly items: readonly unknown[]; next: number }
  | { readonly kind: 'iterator'; readonly items: Iterator<unknown> }
  | {
      readonly kind: 'object'
      readonly object: Record<string, unknown>
      readonly keys: readonly string[]
      next: number
    }

function* mapEntries(map: Map<unknown, unknown>): Iterator<unknown> {
  for (const [key, value] of map) {
    yield key
    yield value
  }
}

/**
 * Writes the tag and header of `value`; returns the frame of its children when it has any.
 * `seen` numbers lists, tuples, dicts and sets in the order they are first written.
 */
function writeHead(writer: Writer, value: unknown, seen: Map<object, number>): Frame | undefined {
  if (value === null || value === undefined) {
    writer.byte(Tag.Null)
    return undefined
  }
  switch (typeof value) {
    case 'boolean':
      writer.byte(value ? Tag.True : Tag.False)
      return undefined
    case 'number':
      writer.byte(Tag.Float)
      writer.f64(value)
      return undefined
    case 'bigint':
      writer.byte(Tag.HexInt)
      writer.byte(value < 0n ? 1 : 0)
      writer.string((value < 0n ? -value : value).toString(16))
      return undefined
    case 'string':
      writer.byte(Tag.String)
      writer.string(value)
      return undefined
  }
  if (value instanceof Uint8Array) {
    writer.byte(Tag.Bytes)
    writer.bytes(value)
    return undefined
  }
  if (value instanceof PyFloat) {
    writer.byte(Tag.IntegralFloat)
    writer.f64(value.value)
    return undefined
  }
  if (value instanceof PyRange) {
    writer.byte(Tag.Range)
    for (const part of [value.start, value.stop, value.step]) writer.string(String(part))
    return undefined
  }
  if (value instanceof PyFrozenSet) {
    writer.byte(Tag.FrozenSet)
    writer.u32(value.items.size)
    return { kind: 'iterator', items: value.items.values() }
  }
  if (Array.isArray(value) || value instanceof Map || value instanceof Set) {
    const known = seen.get(value)
    if (known !== undefined) {
      writer.byte(Tag.Ref)
      writer.u32(known)
      return undefined
    }
    seen.set(value, seen.size)
  }
  if (Array.isArray(value)) {
    writer.byte((value as { __tuple__?: unknown }).__tuple__ === true ? Tag.Tuple : Tag.List)
    writer.u32(value.length)
    return { kind: 'items', items: value, next: 0 }
  }
  if (value instanceof Map) {
    writer.byte(Tag.Dict)
    writer.u32(value.size)
    return { kind: 'iterator', items: mapEntries(value) }
  }
  if (value instanceof Set) {
    writer.byte(Tag.Set)
    writer.u32(value.size)
    return { kind: 'iterator', items: value.values() }
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value)
    writer.byte(Tag.Object)
    writer.u32(keys.length)
    return { kind: 'object', object: value as Record<string, unknown>, keys, next: 0 }
  }
  throw new StateFormatError('corrupt', `A ${typeof value} cannot be saved in session state.`)
}

/** What `nextChild` returns when a container has no child left. */
const END: unique symbol = Symbol('end')

/** The next child of `frame` to write (writing an object's key first), or `END`. */
function nextChild(writer: Writer, frame: Frame): unknown {
  switch (frame.kind) {
    case 'items':
      return frame.next < frame.items.length ? frame.items[frame.next++] : END
    case 'iterator': {
      const step = frame.items.next()
      return step.done ? END : step.value
    }
    case 'object': {
      if (frame.next >= frame.keys.length) return END
      const key = frame.keys[frame.next++]!
      writer.string(key)
      return frame.object[key]
    }
  }
}

/** Writes the payload of one value, a step at a time. */
class PayloadWriter {
  readonly #writer: Writer
  readonly #seen = new Map<object, number>()
  readonly #stack: Frame[] = []

  constructor(writer: Writer, root: unknown) {
    this.#writer = writer
    const first = writeHead(writer, root, this.#seen)
    if (first) this.#stack.push(first)
  }

  /** Writes about `budget` more values; returns whether the payload is complete. */
  step(budget: number): boolean {
    const writer = this.#writer
    const seen = this.#seen
    const stack = this.#stack
    let left = budget
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      // Write the children of the innermost open container until one opens a container of its
      // own (written next, before its later siblings) or none is left.
      let opened: Frame | undefined
      if (top.kind === 'items') {
        // The common case (lists and tuples) with the position in a local.
        const items = top.items
        let next = top.next
        while (next < items.length) {
          opened = writeHead(writer, items[next++], seen)
          if (opened || --left === 0) break
        }
        top.next = next
        if (!opened && next >= items.length) stack.pop()
      } else {
        for (;;) {
          const child = nextChild(writer, top)
          if (child === END) {
            stack.pop()
            break
          }
          opened = writeHead(writer, child, seen)
          if (opened || --left === 0) break
        }
      }
      if (opened) stack.push(opened)
      if (left === 0) return stack.length === 0
    }
    return true
  }
}

function writeHeader(bytes: Uint8Array, checksum: number): void {
  bytes.set(STATE_MAGIC, 0)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  view.setUint16(8, STATE_FORMAT_VERSION)
  view.setUint32(10, bytes.length - STATE_HEADER_BYTES)
  view.setUint32(14, checksum)
}

/** Encodes a value into versioned, checksummed bytes, all at once. */
export function encodeState(value: unknown): Uint8Array {
  const writer = new Writer()
  writer.skip(STATE_HEADER_BYTES)
  new PayloadWriter(writer, value).step(Number.POSITIVE_INFINITY)
  const bytes = writer.result()
  writeHeader(bytes, crc32(bytes.subarray(STATE_HEADER_BYTES)))
  return bytes
}

/** Encodes like `encodeState` (the same bytes), yielding to the event loop between slices. */
export async function encodeStateInSlices(value: unknown, options: SliceOptions = {}): Promise<Uint8Array> {
  const slicer = new Slicer(options)
  const writer = new Writer()
  writer.skip(STATE_HEADER_BYTES)
  const payload = new PayloadWriter(writer, value)
  await slicer.run(() => payload.step(VALUES_PER_STEP))
  const bytes = writer.result()
  let checksum = 0
  for (let at = STATE_HEADER_BYTES; at < bytes.length; at += CRC_CHUNK_BYTES) {
    checksum = crc32(bytes.subarray(at, Math.min(at + CRC_CHUNK_BYTES, bytes.length)), checksum)
    await slicer.chance()
  }
  writeHeader(bytes, checksum)
  return bytes
}
