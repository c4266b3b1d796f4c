/**
 * The state encoder: the same bytes all at once or in slices, the bytes earlier versions wrote,
 * and slices that let the event loop run while a big value is encoded.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PyFloat, PyFrozenSet, PyRange } from './python-values.js'
import { decodeState } from './state-decode.js'
import { encodeState, encodeStateInSlices } from './state-encode.js'

const tupleOf = (items: unknown[]) =>
  Object.defineProperty(items, '__tuple__', { value: true, enumerable: true })

function sample(): Map<unknown, unknown> {
  const shared = [1, 'two']
  const tuple = tupleOf([3n, -0])
  return new Map<unknown, unknown>([
    ['a', shared],
    ['b', shared],
    ['t', tuple],
    [12345678901234567890n, new Set([1, 'x'])],
    ['f', new PyFloat(2)],
    ['fs', new PyFrozenSet(new Set([1, 2]))],
    ['r', new PyRange(0, 10, 2)],
    ['o', { __date__: '2026-12-04', nested: { x: [null, true, false, Number.NaN, -Infinity] } }],
    ['bytes', new Uint8Array([0, 255, 7])],
    ['d', new Map([[tuple, shared]])],
  ])
}

/** `sample()` as the recursive encoder of format version 2 wrote it (decimal ints, before the encoder was iterative). */
const SAMPLE_BYTES_V2 =
  '5059464c4d4e545900020000013248daab21080000000a0500000001610600000002033ff0000000000000050000000374776f0500000001620f000000010500000001740700000002040000000133038000000000000000040000001431323334353637383930313233343536373839300900000002033ff00000000000000500000001780500000001660c4000000000000000050000000266730d00000002033ff00000000000000340000000000000000500000001720e0000000130000000023130000000013205000000016f0b00000002000000085f5f646174655f5f050000000a323032362d31322d3034000000066e65737465640b0000000100000001780600000005000201037ff800000000000003fff0000000000000050000000562797465730a0000000300ff0705000000016408000000010f000000020f00000001'

/** The same sample with `neg: -(2 ** 70)`, as format version 3 writes it. */
const SAMPLE_BYTES_V3 =
  '5059464c4d4e5459000300000150c9c18993080000000b0500000001610600000002033ff0000000000000050000000374776f0500000001620f00000001050000000174070000000210000000000133038000000000000000100000000010616235346139386365623166306164320900000002033ff00000000000000500000001780500000001660c4000000000000000050000000266730d00000002033ff00000000000000340000000000000000500000001720e0000000130000000023130000000013205000000016f0b00000002000000085f5f646174655f5f050000000a323032362d31322d3034000000066e65737465640b0000000100000001780600000005000201037ff800000000000003fff0000000000000050000000562797465730a0000000300ff0705000000016408000000010f000000020f0000000105000000036e6567100100000012343030303030303030303030303030303030'

/** Random session-form values: scalars, lists, tuples, dicts, sets, frozensets, objects, and repeats. */
const values = fc.letrec((tie) => ({
  scalar: fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.bigInt(),
    fc.string(),
    fc.uint8Array({ maxLength: 8 }),
    fc.double({ noNaN: true }).map((v) => new PyFloat(v)),
    fc
      .tuple(fc.integer(), fc.integer(), fc.integer({ min: 1, max: 5 }))
      .map(([a, b, c]) => new PyRange(a, b, c)),
  ),
  value: fc.oneof({ depthSize: 'small' }, tie('scalar'), tie('container')),
  container: fc.oneof(
    fc.array(tie('value'), { maxLength: 6 }),
    fc.array(tie('value'), { maxLength: 6 }).map(tupleOf),
    fc
      .array(fc.tuple(fc.oneof(fc.string(), fc.integer()), tie('value')), { maxLength: 5 })
      .map((e) => new Map(e)),
    fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 5 }).map((e) => new Set(e)),
    fc.array(fc.integer(), { maxLength: 5 }).map((e) => new PyFrozenSet(new Set(e))),
    fc.dictionary(fc.string({ minLength: 1 }), tie('value'), { maxKeys: 4 }),
  ),
}))

describe('encodeState / encodeStateInSlices', () => {
  it('writes format version 3 (hexadecimal ints) byte for byte, at once and in slices', async () => {
    const withNegative = sample()
    withNegative.set('neg', -(2n ** 70n))
    expect(Buffer.from(encodeState(withNegative)).toString('hex')).toBe(SAMPLE_BYTES_V3)
    const sliced = await encodeStateInSlices(withNegative, { sliceMs: 0 })
    expect(Buffer.from(sliced).toString('hex')).toBe(SAMPLE_BYTES_V3)
  })

  it('reads what format version 2 wrote, to the same value', () => {
    const read = decodeState(Buffer.from(SAMPLE_BYTES_V2, 'hex')) as Map<unknown, unknown>
    read.set('neg', -(2n ** 70n))
    expect(Buffer.from(encodeState(read)).toString('hex')).toBe(SAMPLE_BYTES_V3)
  })

  it('writes and reads a million-digit int in linear time (hexadecimal, not decimal text)', () => {
    const big = 7n ** 1_200_000n
    const back = decodeState(encodeState([big, -big])) as bigint[]
    expect(back[0] === big && back[1] === -big).toBe(true)
  })

  it('gives the same bytes at once and in slices, which read back to an equal value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(values.value, { maxLength: 4 }), async (items) => {
        // Repeating an item makes shared references, which must stay shared.
        const root = [...items, ...items.slice(0, 1)]
        const once = encodeState(root)
        const sliced = await encodeStateInSlices(root, { sliceMs: 0 })
        expect(Buffer.from(sliced).equals(Buffer.from(once))).toBe(true)
        // Read back, the value writes the same bytes again (Ref tags included: sharing survives).
        const back = decodeState(once) as unknown[]
        expect(Buffer.from(encodeState(back)).equals(Buffer.from(once))).toBe(true)
        expect(back).toHaveLength(root.length)
      }),
      { seed: 20261204, numRuns: 300 },
    )
  })

  it('encodes nesting far deeper than the JS stack allows for recursion', () => {
    let deep: unknown = []
    for (let i = 0; i < 200_000; i++) deep = [deep]
    const bytes = encodeState(deep)
    // One tag and one length per level, plus the header and the innermost empty list.
    expect(bytes.length).toBe(18 + 200_001 * 5)
  })

  it('yields to the event loop between slices of a big value', async () => {
    const big = Array.from({ length: 200_000 }, (_, i) => i * 0.5)
    let yields = 0
    let immediateRan = false
    setImmediate(() => {
      immediateRan = true
    })
    const sliced = encodeStateInSlices(new Map([['big', big]]), {
      sliceMs: 0,
      onYield: () => {
        yields += 1
      },
    })
    expect(immediateRan).toBe(false)
    const bytes = await sliced
    expect(immediateRan).toBe(true)
    // 200 001 values in steps of 2048, then the checksum of ~1.8 MB in 1 MiB chunks.
    expect(yields).toBeGreaterThanOrEqual(Math.floor(200_002 / 2048))
    expect(Buffer.from(bytes).equals(Buffer.from(encodeState(new Map([['big', big]]))))).toBe(true)
  })

  it('refuses a value that is not of session form, as before', () => {
    expect(() => encodeState([() => 1])).toThrow(/cannot be saved in session state/)
  })
})
