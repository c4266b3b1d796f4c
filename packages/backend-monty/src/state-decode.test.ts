/**
 * The state reader: the same value or the same refusal at once and in slices, every damaged
 * byte refused as `StateFormatError`, and slices that let the event loop run.
 */
import { crc32 } from 'node:zlib'
import { StateFormatError } from '@pyflue/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PyFloat, PyFrozenSet, PyRange } from './python-values.js'
import { decodeState, decodeStateInSlices } from './state-decode.js'
import { encodeState } from './state-encode.js'
import { MAX_STATE_NESTING, STATE_HEADER_BYTES, Tag } from './state-format.js'

const tupleOf = (items: unknown[]) =>
  Object.defineProperty(items, '__tuple__', { value: true, enumerable: true })

function sample(): unknown {
  const shared = [1, 'two', new Map([['k', new Set([1n])]])]
  return new Map<unknown, unknown>([
    ['a', shared],
    ['b', tupleOf([shared, -0, new PyFloat(3)])],
    ['fs', new PyFrozenSet(new Set(['x', 2]))],
    ['r', new PyRange(1, 2n ** 70n, 3)],
    ['o', { __date__: '2026-12-04', list: [[], new Map(), new Set()] }],
    ['bytes', new Uint8Array([9, 8, 7])],
  ])
}

/** Outcome of a decode as comparable data: the re-encoded bytes, or the refusal. */
async function outcome(decode: () => unknown): Promise<string> {
  try {
    return `value ${Buffer.from(encodeState(await decode())).toString('hex')}`
  } catch (error) {
    if (!(error instanceof StateFormatError)) throw error
    return `refused ${error.reason}: ${error.message}`
  }
}

/** Payload bytes framed with a correct header, so only the payload is judged. */
function framed(payload: number[]): Uint8Array {
  const good = encodeState(null)
  const bytes = new Uint8Array(STATE_HEADER_BYTES + payload.length)
  bytes.set(good.subarray(0, STATE_HEADER_BYTES))
  bytes.set(payload, STATE_HEADER_BYTES)
  const view = new DataView(bytes.buffer)
  view.setUint32(10, payload.length)
  view.setUint32(14, crc32(bytes.subarray(STATE_HEADER_BYTES)))
  return bytes
}

describe('decodeState / decodeStateInSlices', () => {
  it('reads back what was written, shared objects shared', async () => {
    const bytes = encodeState(sample())
    const once = decodeState(bytes) as Map<string, unknown>
    const sliced = (await decodeStateInSlices(bytes, { sliceMs: 0 })) as Map<string, unknown>
    for (const value of [once, sliced]) {
      expect(Buffer.from(encodeState(value)).equals(Buffer.from(bytes))).toBe(true)
      expect((value.get('b') as unknown[])[0]).toBe(value.get('a'))
      expect((value.get('b') as { __tuple__?: boolean }).__tuple__).toBe(true)
      expect(value.get('fs')).toBeInstanceOf(PyFrozenSet)
      expect((value.get('r') as PyRange).stop).toBe(2n ** 70n)
    }
  })

  it('refuses every damaged byte as StateFormatError, alike at once and in slices', async () => {
    const bytes = encodeState(sample())
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (at, flip, truncate) => {
          const damaged = truncate ? bytes.slice(0, at) : bytes.slice()
          if (!truncate) damaged[at] = damaged[at]! ^ flip
          const once = await outcome(() => decodeState(damaged))
          const sliced = await outcome(() => decodeStateInSlices(damaged, { sliceMs: 0 }))
          expect(sliced).toBe(once)
          expect(once).toMatch(/^refused /)
        },
      ),
      { seed: 20261204, numRuns: 400 },
    )
  })

  it('judges a well-framed but malformed payload alike at once and in slices', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 16 }), { maxLength: 40 }), async (payload) => {
        const bytes = framed(payload)
        expect(await outcome(() => decodeStateInSlices(bytes, { sliceMs: 0 }))).toBe(
          await outcome(() => decodeState(bytes)),
        )
      }),
      { seed: 20261205, numRuns: 400 },
    )
  })

  it('refuses nesting deeper than MAX_STATE_NESTING, and a reference to nothing', async () => {
    const deep: number[] = []
    for (let i = 0; i <= MAX_STATE_NESTING; i++) deep.push(Tag.List, 0, 0, 0, 1)
    deep.push(Tag.Null)
    await expect(decodeStateInSlices(framed(deep))).rejects.toThrow(/nesting too deep/)
    expect(() => decodeState(framed(deep))).toThrow(/nesting too deep/)
    expect(() => decodeState(framed([Tag.List, 0, 0, 0, 1, Tag.Ref, 0, 0, 0, 7]))).toThrow(
      /reference to nothing/,
    )
  })

  it('yields to the event loop between slices of a big state', async () => {
    const bytes = encodeState(new Map([['big', Array.from({ length: 200_000 }, (_, i) => i)]]))
    let yields = 0
    let immediateRan = false
    setImmediate(() => {
      immediateRan = true
    })
    const decoding = decodeStateInSlices(bytes, { sliceMs: 0, onYield: () => void yields++ })
    expect(immediateRan).toBe(false)
    const value = (await decoding) as Map<string, number[]>
    expect(immediateRan).toBe(true)
    expect(yields).toBeGreaterThanOrEqual(Math.floor(200_001 / 2048))
    expect(value.get('big')![199_999]).toBe(199_999)
  })
})
