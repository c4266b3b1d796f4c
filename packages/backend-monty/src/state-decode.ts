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

const LIST = 0
const DICT = 1
const SET = 2
const FROZENSET = 3
const OBJECT = 4

/**
 * A container whose children are still to be read; `left` counts them (a dict's in halves: key,
 * value, key, ...). One class for every kind, so the reader's loop sees one shape.
 */
class Frame {
  key: unknown = undefined
  constructor(
    readonly kind: number,
    readonly out: unknown[] | Map<unknown, unknown> | Set<unknown> | Record<string, unknown>,
    public left: number,
    readonly tuple = false,
  ) {}
}

function integerText(reader: Reader, what: string): bigint {
  const text = reader.string()
  if (!/^-?\d+$/.test(text)) throw corrupt(what)
  return BigInt(text)
}

/** Reads one value's tag and header: the value itself, or the `Frame` of a container it opens. */
function readHead(reader: Reader, objects: object[]): unknown {
  const tag = reader.byte()
  switch (tag) {
    case Tag.Null:
      return null
    case Tag.False:
      return false
    case Tag.True:
      return true
    case Tag.Float:
      return reader.f64()
    case Tag.BigInt:
      return integerText(reader, 'a bad integer')
    case Tag.HexInt: {
      const negative = reader.byte()
      const digits = reader.string()
      if (negative > 1 || !/^[0-9a-f]+$/.test(digits)) throw corrupt('a bad integer')
      const magnitude = BigInt(`0x${digits}`)
      return negative === 1 ? -magnitude : magnitude
    }
    case Tag.String:
      return reader.string()
    case Tag.Bytes:
      return reader.bytes()
    case Tag.IntegralFloat:
      return new PyFloat(reader.f64())
    case Tag.Range: {
      const [start, stop, step] = [0, 1, 2].map(() => {
        const big = integerText(reader, 'a bad range')
        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(big)
          : big
      }) as [number | bigint, number | bigint, number | bigint]
      return new PyRange(start, stop, step)
    }
    case Tag.Ref: {
      const object = objects[reader.u32()]
      if (object === undefined) throw corrupt('a reference to nothing')
      return object
    }
    case Tag.FrozenSet:
      return new Frame(FROZENSET, new Set(), reader.u32())
    case Tag.List:
    case Tag.Tuple: {
      const left = reader.u32()
      const out: unknown[] = []
      objects.push(out)
      return new Frame(LIST, out, left, tag === Tag.Tuple)
    }
    case Tag.Dict: {
      const left = reader.u32() * 2
      const out = new Map()
      objects.push(out)
      return new Frame(DICT, out, left)
    }
    case Tag.Set: {
      const left = reader.u32()
      const out = new Set()
      objects.push(out)
      return new Frame(SET, out, left)
    }
    case Tag.Object:
      return new Frame(OBJECT, {}, reader.u32())
    default:
      throw corrupt(`unknown tag ${tag}`)
  }
}

/** The value a container becomes once all its children are read. */
function finished(frame: Frame): unknown {
  if (frame.kind === FROZENSET) return new PyFrozenSet(frame.out as Set<unknown>)
  if (frame.tuple) Object.defineProperty(frame.out, '__tuple__', { value: true, enumerable: true })
  return frame.out
}

/** Adds the child `value` to `frame` (a dict's children alternate key and value). */
function attach(frame: Frame, value: unknown): void {
  frame.left -= 1
  switch (frame.kind) {
    case LIST:
      ;(frame.out as unknown[]).push(value)
      return
    case DICT:
      if (frame.left % 2 === 1) frame.key = value
      else (frame.out as Map<unknown, unknown>).set(frame.key, value)
      return
    case SET:
    case FROZENSET:
      ;(frame.out as Set<unknown>).add(value)
      return
    default:
      Object.defineProperty(frame.out, frame.key as string, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      })
  }
}

/** Reads the payload's one value, a step at a time. */
class PayloadReader {
  readonly #reader: Reader
  readonly #objects: object[] = []
  readonly #stack: Frame[] = []
  #done = false
  #value: unknown

  constructor(reader: Reader) {
    this.#reader = reader
  }

  /** The value read; only after `step` returned true. */
  get value(): unknown {
    return this.#value
  }

  /** Reads about `budget` more values; returns whether the value is complete. */
  step(budget: number): boolean {
    const reader = this.#reader
    const stack = this.#stack
    const objects = this.#objects
    for (let left = budget; left > 0 && !this.#done; left--) {
      const top = stack[stack.length - 1]
      if (top !== undefined && top.kind === LIST) {
        // The common case in a tight loop: the scalars of a list, until a container opens.
        const out = top.out as unknown[]
        let item: unknown
        while (top.left > 1 && left > 1) {
          item = readHead(reader, objects)
          if (item instanceof Frame) break
          out.push(item)
          top.left -= 1
          left -= 1
        }
        if (item instanceof Frame) {
          this.#opened(item)
          continue
        }
      } else if (top !== undefined && top.kind === DICT) {
        // Likewise the scalar keys and values of a dict.
        const out = top.out as Map<unknown, unknown>
        let item: unknown
        while (top.left > 1 && left > 1) {
          item = readHead(reader, objects)
          if (item instanceof Frame) break
          if (top.left % 2 === 0) top.key = item
          else out.set(top.key, item)
          top.left -= 1
          left -= 1
        }
        if (item instanceof Frame) {
          this.#opened(item)
          continue
        }
      }
      if (top !== undefined && top.kind === OBJECT) top.key = reader.string()
      const value = readHead(reader, objects)
      if (value instanceof Frame) this.#opened(value)
      else this.#settle(value)
    }
    return this.#done
  }

  /** A container just opened: kept to be filled, or (empty) handed to its parent at once. */
  #opened(frame: Frame): void {
    if (frame.left === 0) {
      this.#settle(finished(frame))
      return
    }
    if (this.#stack.length >= MAX_STATE_NESTING) throw corrupt('nesting too deep')
    this.#stack.push(frame)
  }

  /** Hands a read value to its container; containers it completes are handed on in turn. */
  #settle(read: unknown): void {
    const stack = this.#stack
    let value = read
    for (;;) {
      const parent = stack[stack.length - 1]
      if (parent === undefined) {
        this.#value = value
        this.#done = true
        return
      }
      attach(parent, value)
      if (parent.left > 0) return
      stack.pop()
      value = finished(parent)
    }
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
