import { describe, expect, it } from 'vitest'
import { JSON_TRUNCATION_MARKER, toJsonValue } from './python-value.js'

describe('toJsonValue', () => {
  it('makes JSON of every value', () => {
    expect(toJsonValue(new Map([['k', 1n]]))).toEqual({ k: 1 })
    expect(toJsonValue(new Map([[1, 2]]))).toEqual([[1, 2]])
    expect(toJsonValue(10n ** 30n)).toBe('1000000000000000000000000000000')
    expect(toJsonValue(new Set([Number.POSITIVE_INFINITY]))).toEqual(['inf'])
    expect(toJsonValue(new Uint8Array([104, 105]))).toBe('aGk=')
    expect(toJsonValue(undefined)).toBeNull()
    const tuple = Object.assign([1, 'a'], { __tuple__: true })
    expect(toJsonValue({ a: [null, true, 1.5], b: tuple })).toEqual({ a: [null, true, 1.5], b: [1, 'a'] })
  })

  it('cuts a long string to the budget and marks the cut', () => {
    const big = 'x'.repeat(50 * 1024 * 1024)
    const json = toJsonValue(big, 1000) as string
    expect(json.endsWith(JSON_TRUNCATION_MARKER)).toBe(true)
    expect(json.length).toBeLessThanOrEqual(1000 + JSON_TRUNCATION_MARKER.length)
    const bytes = toJsonValue(new Uint8Array(10 * 1024 * 1024), 400) as string
    expect(bytes.endsWith(JSON_TRUNCATION_MARKER)).toBe(true)
    expect(bytes.length).toBeLessThanOrEqual(400 + JSON_TRUNCATION_MARKER.length)
  })

  it('stops at the budget on a list that reports 2**32-1 items', () => {
    let reads = 0
    const huge = new Proxy([], {
      get(target, key) {
        if (key === 'length') return 2 ** 32 - 1
        if (typeof key === 'string' && /^\d+$/.test(key)) {
          reads++
          return 7
        }
        return Reflect.get(target, key)
      },
    })
    const json = toJsonValue(huge, 500) as unknown[]
    expect(json.at(-1)).toBe(JSON_TRUNCATION_MARKER)
    expect(reads).toBeLessThan(500)
  })

  it('visits a value sharing references along 2**24 paths only as far as the budget goes', () => {
    let shared: unknown = 'leaf'
    for (let i = 0; i < 24; i++) shared = [shared, shared]
    const json = JSON.stringify(toJsonValue(shared, 2000))
    expect(json).toContain(JSON_TRUNCATION_MARKER)
    expect(json.length).toBeLessThan(2000 * 4)
  })

  it('never throws, whatever the value', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => JSON.stringify(toJsonValue(cyclic))).not.toThrow()
    expect(toJsonValue(Symbol('s'))).toBe('Symbol(s)')
  })
})
