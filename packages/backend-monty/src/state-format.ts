/**
 * The bytes of a dumped session:
 *
 *   offset 0  8 bytes  magic "PYFLMNTY"
 *   offset 8  u16 BE   format version (3; versions 1 and 2 are still read)
 *   offset 10 u32 BE   payload length
 *   offset 14 u32 BE   CRC-32 of the payload
 *   offset 18 payload  one tagged value (see `Tag`)
 *
 * The tagged encoding round-trips every Monty-form value exactly: null, booleans, float64
 * (NaN, ±Infinity, -0), bigint, strings, lists, tuples, dicts with any keys, sets, bytes and
 * tagged objects (dates, dataclasses). Version 2 adds the session forms of `python-values.ts`
 * (an integral float, a frozenset, a range) and references: every list, tuple, dict and set is
 * numbered in the order it is first written, and a later occurrence of the same object is
 * written as `Ref` with its number, so objects shared by several names or places stay shared.
 * Version 3 writes ints as `HexInt` (sign, then hexadecimal digits): converting a big int to and
 * from decimal text is quadratic in its length (a million-digit int took ~0.3 s on the calling
 * thread), hexadecimal is linear. Version 1 and 2 bytes (decimal `BigInt`, no newer tags) read as
 * before.
 *
 * Writing is in `state-encode.ts`, reading in `state-decode.ts`; this file holds the layout.
 */
export const STATE_MAGIC = new Uint8Array([0x50, 0x59, 0x46, 0x4c, 0x4d, 0x4e, 0x54, 0x59]) // PYFLMNTY
export const STATE_FORMAT_VERSION = 3
/** The oldest format version this backend still reads. */
export const OLDEST_STATE_FORMAT_VERSION = 1
/** The deepest nesting a reader accepts (session values are at most `MAX_VALUE_DEPTH`, 200, deep). */
export const MAX_STATE_NESTING = 10_000
/** Bytes before the payload. */
export const STATE_HEADER_BYTES = 18

/** The tag byte before each value of the payload. */
export enum Tag {
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
  /** Version 3: an int as a sign byte (0 or 1 for negative) and its magnitude in hexadecimal. */
  HexInt = 16,
}
