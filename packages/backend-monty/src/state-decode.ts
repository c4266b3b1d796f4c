/**
 * Reading the bytes of `state-format.ts`: `decodeState` all at once, `decodeStateInSlices` a
 * slice at a time with the event loop free between slices.
 *
 * - The header is checked first (magic, version, length, CRC-32) and every value is checked as
 *   it is read: foreign, truncated, corrupt or newer bytes throw `StateFormatError` and nothing
 *   outside this reader has changed.
 * - One reader serves both functions: it reads with an explicit stack of open containers (no
 *   recursion), numbering lists, tuples, dicts and sets in the order they open, so a `Ref`
 *   finds the object the writer meant. Nesting deeper than `MAX_STATE_NESTING` is corrupt.
 * - `decodeStateInSlices` keeps each slice of work on the calling thread short (`slices.ts`);
 *   the checksum is computed in slices too.
 */
import { crc32 } from 'node:zlib'
import { StateFormatError } from '@pyflue/core'
import { PyFloat, PyFrozenSet, PyRange } from './python-values.js'
import { type SliceOptions, Slicer } from './slices.js'
import {
  MAX_STATE_NESTING,
  OLDEST_STATE_FORMAT_VERSION,
  STATE_FORMAT_VERSION,
  STATE_HEADER_BYTES,
  STATE_MAGIC,
  Tag,
} from './state-format.js'

/** Values read between two chances to yield. */
const VALUES_PER_STEP = 2048
/** Payload bytes checksummed between two chances to yield. */
const CRC_CHUNK_BYTES = 1 << 20

const corrupt = (what: string) => new StateFormatError('corrupt', `The session state is corrupt: ${what}.`)

class Reader {
  #offset = 0
  constructor(readonly buffer: Buffer) {}
  #need(bytes: number): void {
    if (this.#offset + bytes > this.buffer.length) throw corrupt('a value runs past its end')
  }
  byte(): number {
    this.#need(1)
    return this.buffer[this.#offset++]!
  }
  u32(): number {
    this.#need(4)
    const value = this.buffer.readUInt32BE(this.#offset)
    this.#offset += 4
    return value
  }
  f64(): number {
    this.#need(8)
    const value = this.buffer.readDoubleBE(this.#offset)
    this.#offset += 8
    return value
  }
  bytes(): Uint8Array {
    const length = this.u32()
    this.#need(length)
    const value = Buffer.from(this.buffer.subarray(this.#offset, this.#offset + length))
    this.#offset += length
    return value
  }
  string(): string {
    const length = this.u32()
    this.#need(length)
    const value = this.buffer.toString('utf8', this.#offset, this.#offset + length)
    this.#offset += length
    return value
  }
  get done(): boolean {
    return this.#offset === this.buffer.length
  }
}

/** A container whose children are still to be read; `left` counts them (a dict's in halves). */
type Frame =
  | { readonly kind: 'list'; readonly out: unknown[]; readonly tuple: boolean; left: number }
  | { readonly kind: 'dict'; readonly out: Map<unknown, unknown>; left: number; key: unknown }
  | { readonly kind: 'set'; readonly out: Set<unknown>; left: number }
  | { readonly kind: 'frozenset'; readonly out: Set<unknown>; left: number }
  | { readonly kind: 'object'; readonly out: Record<string, unknown>; left: number; key: string }

/** The value read, or the container opened (its children follow). */
type Head = { readonly value: unknown; readonly frame?: undefined } | { readonly frame: Frame }

function integerText(reader: Reader, what: string): bigint {
  const text = reader.string()
  if (!/^-?\d+$/.test(text)) throw corrupt(what)
  return BigInt(text)
}

function readHead(reader: Reader, objects: object[]): Head {
  const tag = reader.byte()
  switch (tag) {
    case Tag.Null:
      return { value: null }
    case Tag.False:
      return { value: false }
    case Tag.True:
      return { value: true }
    case Tag.Float:
      return { value: reader.f64() }
    case Tag.BigInt:
      return { value: integerText(reader, 'a bad integer') }
    case Tag.String:
      return { value: reader.string() }
    case Tag.Bytes:
      return { value: reader.bytes() }
    case Tag.IntegralFloat:
      return { value: new PyFloat(reader.f64()) }
    case Tag.Range: {
      const [start, stop, step] = [0, 1, 2].map(() => {
        const big = integerText(reader, 'a bad range')
        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(big)
          : big
      }) as [number | bigint, number | bigint, number | bigint]
      return { value: new PyRange(start, stop, step) }
    }
    case Tag.Ref: {
      const object = objects[reader.u32()]
      if (object === undefined) throw corrupt('a reference to nothing')
      return { value: object }
    }
    case Tag.FrozenSet:
      return { frame: { kind: 'frozenset', out: new Set(), left: reader.u32() } }
    case Tag.List:
    case Tag.Tuple: {
      const left = reader.u32()
      const out: unknown[] = []
      objects.push(out)
      return { frame: { kind: 'list', out, tuple: tag === Tag.Tuple, left } }
    }
    case Tag.Dict: {
      const left = reader.u32() * 2
      const out = new Map()
      objects.push(out)
      return { frame: { kind: 'dict', out, left, key: undefined } }
    }
    case Tag.Set: {
      const left = reader.u32()
      const out = new Set()
      objects.push(out)
      return { frame: { kind: 'set', out, left } }
    }
    case Tag.Object:
      return { frame: { kind: 'object', out: {}, left: reader.u32(), key: '' } }
    default:
      throw corrupt(`unknown tag ${tag}`)
  }
}

/** The value a container becomes once all its children are read. */
function finished(frame: Frame): unknown {
  if (frame.kind === 'frozenset') return new PyFrozenSet(frame.out)
  if (frame.kind === 'list' && frame.tuple) {
    Object.defineProperty(frame.out, '__tuple__', { value: true, enumerable: true })
  }
  return frame.out
}

/** Adds the child `value` to `frame` (a dict's children alternate key and value). */
function attach(frame: Frame, value: unknown): void {
  frame.left -= 1
  switch (frame.kind) {
    case 'list':
      frame.out.push(value)
      return
    case 'dict':
      if (frame.left % 2 === 1) frame.key = value
      else frame.out.set(frame.key, value)
      return
    case 'set':
    case 'frozenset':
      frame.out.add(value)
      return
    case 'object':
      Object.defineProperty(frame.out, frame.key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      })
      return
  }
}

/** Reads the payload's one value, a step at a time. */
class PayloadReader {
  readonly #reader: Reader
  readonly #objects: object[] = []
  readonly #stack: Frame[] = []
  #result: { value: unknown } | undefined

  constructor(reader: Reader) {
    this.#reader = reader
  }

  /** The value read; only after `step` returned true. */
  get value(): unknown {
    return this.#result?.value
  }

  /** Reads about `budget` more values; returns whether the value is complete. */
  step(budget: number): boolean {
    const reader = this.#reader
    const stack = this.#stack
    for (let left = budget; left > 0 && this.#result === undefined; left--) {
      const top = stack[stack.length - 1]
      if (top?.kind === 'object') top.key = reader.string()
      const head = readHead(reader, this.#objects)
      let value: unknown
      if (head.frame) {
        if (head.frame.left > 0) {
          if (stack.length >= MAX_STATE_NESTING) throw corrupt('nesting too deep')
          stack.push(head.frame)
          continue
        }
        value = finished(head.frame)
      } else {
        value = head.value
      }
      // Hand the value to its container; containers it completes are handed on in turn.
      for (;;) {
        const parent = stack[stack.length - 1]
        if (parent === undefined) {
          this.#result = { value }
          break
        }
        attach(parent, value)
        if (parent.left > 0) break
        stack.pop()
        value = finished(parent)
      }
    }
    return this.#result !== undefined
  }
}

/** The payload of `bytes` after checking the header (not yet the checksum). */
function checkedPayload(bytes: Uint8Array): { payload: Buffer; checksum: number } {
  if (!(bytes instanceof Uint8Array)) {
    throw new StateFormatError('magic', 'Session state must be a Uint8Array from dumpState().')
  }
  if (bytes.length < STATE_MAGIC.length || STATE_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new StateFormatError(
      'magic',
      'These bytes are not a PyFlue Monty session state (wrong magic header).',
    )
  }
  if (bytes.length < STATE_HEADER_BYTES)
    throw new StateFormatError('truncated', 'The session state is truncated.')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint16(8)
  if (version < OLDEST_STATE_FORMAT_VERSION || version > STATE_FORMAT_VERSION) {
    throw new StateFormatError(
      'version',
      `The session state has format version ${version}; this backend reads versions ${OLDEST_STATE_FORMAT_VERSION} to ${STATE_FORMAT_VERSION}.`,
    )
  }
  const length = view.getUint32(10)
  if (bytes.length < STATE_HEADER_BYTES + length) {
    throw new StateFormatError(
      'truncated',
      `The session state is truncated (${bytes.length - STATE_HEADER_BYTES} of ${length} payload bytes).`,
    )
  }
  if (bytes.length > STATE_HEADER_BYTES + length) throw corrupt('bytes follow the payload')
  const payload = Buffer.from(bytes.buffer, bytes.byteOffset + STATE_HEADER_BYTES, length)
  return { payload, checksum: view.getUint32(14) }
}

function checkedValue(reader: Reader, payload: PayloadReader): unknown {
  if (!reader.done) throw corrupt('trailing bytes in the payload')
  return payload.value
}

/** Decodes bytes from `encodeState`, refusing foreign, truncated, corrupt or newer bytes. */
export function decodeState(bytes: Uint8Array): unknown {
  const { payload, checksum } = checkedPayload(bytes)
  if (crc32(payload) !== checksum) throw corrupt('its checksum does not match')
  const reader = new Reader(payload)
  const values = new PayloadReader(reader)
  values.step(Number.POSITIVE_INFINITY)
  return checkedValue(reader, values)
}

/** Decodes like `decodeState` (the same value, the same refusals), yielding between slices. */
export async function decodeStateInSlices(bytes: Uint8Array, options: SliceOptions = {}): Promise<unknown> {
  const slicer = new Slicer(options)
  const { payload, checksum } = checkedPayload(bytes)
  let computed = 0
  for (let at = 0; at < payload.length; at += CRC_CHUNK_BYTES) {
    computed = crc32(payload.subarray(at, Math.min(at + CRC_CHUNK_BYTES, payload.length)), computed)
    await slicer.chance()
  }
  if (computed !== checksum) throw corrupt('its checksum does not match')
  const reader = new Reader(payload)
  const values = new PayloadReader(reader)
  await slicer.run(() => values.step(VALUES_PER_STEP))
  return checkedValue(reader, values)
}
