import { describe, expect, it } from 'vitest'
import { globMatcher } from './glob-pattern.js'

describe('globMatcher', () => {
  it('matches *, **, ?, braces and classes', () => {
    expect(globMatcher('*.csv').test('data.csv')).toBe(true)
    expect(globMatcher('*.csv').test('dir/data.csv')).toBe(false)
    expect(globMatcher('**/*.csv').test('data.csv')).toBe(true)
    expect(globMatcher('**/*.csv').test('a/b/data.csv')).toBe(true)
    expect(globMatcher('src/*.{ts,js}').test('src/a.js')).toBe(true)
    expect(globMatcher('src/*.{ts,js}').test('src/a.py')).toBe(false)
    expect(globMatcher('file?.txt').test('file1.txt')).toBe(true)
    expect(globMatcher('[ab].md').test('b.md')).toBe(true)
    expect(globMatcher('[!ab].md').test('b.md')).toBe(false)
    expect(globMatcher('a.b').test('axb')).toBe(false)
  })

  it('matches in linear time: a glob with many stars against a long name finishes', () => {
    const name = 'a'.repeat(5000)
    expect(globMatcher(`${'*a'.repeat(30)}*b`).test(name)).toBe(false)
    expect(globMatcher(`${'*a'.repeat(30)}*`).test(name)).toBe(true)
  })

  it('a malformed glob is InvalidArgumentError', () => {
    expect(() => globMatcher('{a,b')).toThrow(/Invalid glob/)
  })

  it('a glob longer than 256 characters is InvalidArgumentError (matching costs its size times the path)', () => {
    expect(() => globMatcher(`${'*a'.repeat(128)}*`)).toThrow(/257 characters long; at most 256/)
    expect(globMatcher(`${'*a'.repeat(127)}*`).test('a'.repeat(127))).toBe(true)
  })
})
