import { crc32 } from 'node:zlib'
import { StateFormatError } from '@pyflue/core'
import { PyFloat, PyFrozenSet, PyRange } from './python-values.js'

/**
 * The bytes of a dumped session:
 *
 *   offset 0  8 bytes  magic "PYFLMNTY"
 *   offset 8  u16 BE   format version (2; version 1 is still read)
 *   offset 10 u32 BE   payload length
 *   offset 14 u32 BE   CRC-32 of the payload
 *   offset 18 payload  one tagged value (see `encodeValue`)
 *
 * The tagged encoding round-trips every Monty-form value exactly: null, booleans, float64
 * (NaN, ±Infinity, -0), bigint, strings, lists, tuples, dicts with any keys, sets, bytes and
 * tagged objects (dates, dataclasses). Version 2 adds the session forms of `python-values.ts`
 * (an integral float, a frozenset, a range) and references: every list, tuple, dict and set is
 * numbered in the order it is first written, and a later occurrence of the same object is
 * written as `Ref` with its number, so objects shared by several names or places stay shared.
 * Version 1 bytes (no such tags) read as before.
 */
export const STATE_MAGIC = new Uint8Array([0x50, 0x59, 0x46, 0x4c, 0x4d, 0x4e, 0x54, 0x59]) // PYFLMNTY
export const STATE_FORMAT_VERSION = 2
/** The oldest format version this backend still reads. */
export const OLDEST_STATE_FORMAT_VERSION = 1
const HEADER_BYTES = 18

enum Tag {
  Null = 0,
  False = 1,
  True = 2,
  Float = 3,
  BigInt = 4,
  String = 5,
  List = 6,
  Tuple = 7,
  Dict = 8,
  Set = 9,
  Bytes = 10,
  Object = 11,
  IntegralFloat = 12,
  FrozenSet = 13,
  Range = 14,
  Ref = 15,
}

class Writer {
  #buffer = Buffer.allocUnsafe(1024)
  #length = 0

  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#buffer.length) return
    const next = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + bytes))
    this.#buffer.copy(next, 0, 0, this.#length)
    this.#buffer = next
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
  result(): Uint8Array {
    return new Uint8Array(this.#buffer.subarray(0, this.#length))
  }
}

function encodeValue(writer: Writer, value: unknown, seen: Map<object, number>): void {
  if (value === null || value === undefined) {
    writer.byte(Tag.Null)
    return
  }
  switch (typeof value) {
    case 'boolean':
      writer.byte(value ? Tag.True : Tag.False)
      return
    case 'number':
      writer.byte(Tag.Float)
      writer.f64(value)
      return
    case 'bigint':
      writer.byte(Tag.BigInt)
      writer.string(value.toString())
      return
    case 'string':
      writer.byte(Tag.String)
      writer.string(value)
      return
  }
  if (value instanceof Uint8Array) {
    writer.byte(Tag.Bytes)
    writer.bytes(value)
    return
  }
  if (value instanceof PyFloat) {
    writer.byte(Tag.IntegralFloat)
    writer.f64(value.value)
    return
  }
  if (value instanceof PyRange) {
    writer.byte(Tag.Range)
    for (const part of [value.start, value.stop, value.step]) writer.string(String(part))
    return
  }
  if (value instanceof PyFrozenSet) {
    writer.byte(Tag.FrozenSet)
    writer.u32(value.items.size)
    for (const item of value.items) encodeValue(writer, item, seen)
    return
  }
  if (Array.isArray(value) || value instanceof Map || value instanceof Set) {
    const known = seen.get(value)
    if (known !== undefined) {
      writer.byte(Tag.Ref)
      writer.u32(known)
      return
    }
    seen.set(value, seen.size)
  }
  if (Array.isArray(value)) {
    writer.byte((value as { __tuple__?: unknown }).__tuple__ === true ? Tag.Tuple : Tag.List)
    writer.u32(value.length)
    for (const item of value) encodeValue(writer, item, seen)
    return
  }
  if (value instanceof Map) {
    writer.byte(Tag.Dict)
    writer.u32(value.size)
    for (const [key, entry] of value) {
      encodeValue(writer, key, seen)
      encodeValue(writer, entry, seen)
    }
    return
  }
  if (value instanceof Set) {
    writer.byte(Tag.Set)
    writer.u32(value.size)
    for (const item of value) encodeValue(writer, item, seen)
    return
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value)
    writer.byte(Tag.Object)
    writer.u32(keys.length)
    for (const key of keys) {
      writer.string(key)
      encodeValue(writer, (value as Record<string, unknown>)[key], seen)
    }
    return
  }
  throw new StateFormatError('corrupt', `A ${typeof value} cannot be saved in session state.`)
}

class Reader {
  #offset = 0
  constructor(readonly buffer: Buffer) {}
  #need(bytes: number): void {
    if (this.#offset + bytes > this.buffer.length) {
      throw new StateFormatError('corrupt', 'The session state is corrupt: a value runs past its end.')
    }
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

function decodeValue(reader: Reader, depth: number, objects: object[]): unknown {
  if (depth > 10_000) throw new StateFormatError('corrupt', 'The session state is corrupt: nesting too deep.')
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
    case Tag.BigInt: {
      const text = reader.string()
      if (!/^-?\d+$/.test(text))
        throw new StateFormatError('corrupt', 'The session state is corrupt: a bad integer.')
      return BigInt(text)
    }
    case Tag.String:
      return reader.string()
    case Tag.Bytes:
      return reader.bytes()
    case Tag.IntegralFloat:
      return new PyFloat(reader.f64())
    case Tag.Range: {
      const [start, stop, step] = [reader.string(), reader.string(), reader.string()].map((text) => {
        if (!/^-?\d+$/.test(text))
          throw new StateFormatError('corrupt', 'The session state is corrupt: a bad range.')
        const big = BigInt(text)
        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(big)
          : big
      }) as [number | bigint, number | bigint, number | bigint]
      return new PyRange(start, stop, step)
    }
    case Tag.FrozenSet: {
      const size = reader.u32()
      const items = new Set()
      for (let i = 0; i < size; i++) items.add(decodeValue(reader, depth + 1, objects))
      return new PyFrozenSet(items)
    }
    case Tag.Ref: {
      const index = reader.u32()
      const object = objects[index]
      if (object === undefined)
        throw new StateFormatError('corrupt', 'The session state is corrupt: a reference to nothing.')
      return object
    }
    case Tag.List:
    case Tag.Tuple: {
      const length = reader.u32()
      const out: unknown[] = []
      objects.push(out)
      for (let i = 0; i < length; i++) out.push(decodeValue(reader, depth + 1, objects))
      if (tag === Tag.Tuple) Object.defineProperty(out, '__tuple__', { value: true, enumerable: true })
      return out
    }
    case Tag.Dict: {
      const size = reader.u32()
      const out = new Map()
      objects.push(out)
      for (let i = 0; i < size; i++)
        out.set(decodeValue(reader, depth + 1, objects), decodeValue(reader, depth + 1, objects))
      return out
    }
    case Tag.Set: {
      const size = reader.u32()
      const out = new Set()
      objects.push(out)
      for (let i = 0; i < size; i++) out.add(decodeValue(reader, depth + 1, objects))
      return out
    }
    case Tag.Object: {
      const size = reader.u32()
      const out: Record<string, unknown> = {}
      for (let i = 0; i < size; i++) {
        const key = reader.string()
        Object.defineProperty(out, key, {
          value: decodeValue(reader, depth + 1, objects),
          enumerable: true,
          writable: true,
          configurable: true,
        })
      }
      return out
    }
    default:
      throw new StateFormatError('corrupt', `The session state is corrupt: unknown tag ${tag}.`)
  }
}

/** Encodes a value into versioned, checksummed bytes. */
export function encodeState(value: unknown): Uint8Array {
  const writer = new Writer()
  encodeValue(writer, value, new Map())
  const payload = writer.result()
  const out = new Uint8Array(HEADER_BYTES + payload.length)
  out.set(STATE_MAGIC, 0)
  const view = new DataView(out.buffer)
  view.setUint16(8, STATE_FORMAT_VERSION)
  view.setUint32(10, payload.length)
  view.setUint32(14, crc32(payload))
  out.set(payload, HEADER_BYTES)
  return out
}

/** Decodes bytes from `encodeState`, refusing foreign, truncated, corrupt or newer bytes. */
export function decodeState(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) {
    throw new StateFormatError('magic', 'Session state must be a Uint8Array from dumpState().')
  }
  if (bytes.length < STATE_MAGIC.length || STATE_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new StateFormatError(
      'magic',
      'These bytes are not a PyFlue Monty session state (wrong magic header).',
    )
  }
  if (bytes.length < HEADER_BYTES) throw new StateFormatError('truncated', 'The session state is truncated.')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint16(8)
  if (version < OLDEST_STATE_FORMAT_VERSION || version > STATE_FORMAT_VERSION) {
    throw new StateFormatError(
      'version',
      `The session state has format version ${version}; this backend reads versions ${OLDEST_STATE_FORMAT_VERSION} to ${STATE_FORMAT_VERSION}.`,
    )
  }
  const length = view.getUint32(10)
  if (bytes.length < HEADER_BYTES + length) {
    throw new StateFormatError(
      'truncated',
      `The session state is truncated (${bytes.length - HEADER_BYTES} of ${length} payload bytes).`,
    )
  }
  if (bytes.length > HEADER_BYTES + length) {
    throw new StateFormatError('corrupt', 'The session state is corrupt: bytes follow the payload.')
  }
  const payload = Buffer.from(bytes.buffer, bytes.byteOffset + HEADER_BYTES, length)
  if (crc32(payload) !== view.getUint32(14)) {
    throw new StateFormatError('corrupt', 'The session state is corrupt: its checksum does not match.')
  }
  const reader = new Reader(payload)
  const value = decodeValue(reader, 0, [])
  if (!reader.done)
    throw new StateFormatError('corrupt', 'The session state is corrupt: trailing bytes in the payload.')
  return value
}
