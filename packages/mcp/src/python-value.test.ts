import { describe, expect, it } from 'vitest'
import { pythonRepr, toJsonValue, truncateText } from './python-value.js'

describe('pythonRepr', () => {
  it('prints values as Python does', () => {
    const tuple = Object.assign([1, 'a'], { __tuple__: true })
    expect(pythonRepr({ a: [null, true, 1.5], b: tuple })).toBe("{'a': [None, True, 1.5], 'b': (1, 'a')}")
    expect(pythonRepr(new Map([[1, new Set()]]))).toBe('{1: set()}')
    expect(pythonRepr("it's")).toBe('"it\'s"')
    expect(pythonRepr(Number.NaN)).toBe('nan')
    expect(pythonRepr(10n ** 30n)).toBe('1000000000000000000000000000000')
  })
})

describe('toJsonValue', () => {
  it('makes JSON of every value', () => {
    expect(toJsonValue(new Map([['k', 1n]]))).toEqual({ k: 1 })
    expect(toJsonValue(new Map([[1, 2]]))).toEqual([[1, 2]])
    expect(toJsonValue(10n ** 30n)).toBe('1000000000000000000000000000000')
    expect(toJsonValue(new Set([Number.POSITIVE_INFINITY]))).toEqual(['inf'])
    expect(toJsonValue(new Uint8Array([104, 105]))).toBe('aGk=')
    expect(toJsonValue(undefined)).toBeNull()
  })
})

describe('truncateText', () => {
  it('keeps short text and marks what it cut', () => {
    expect(truncateText('abc', 10)).toBe('abc')
    const cut = truncateText('x'.repeat(1000), 200)
    expect(cut).toContain('characters truncated')
    expect(cut.length).toBeLessThanOrEqual(200)
  })
})
