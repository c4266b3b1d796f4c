import { describe, expect, it } from 'vitest'
import { globToRegExp } from './glob-pattern.js'

describe('globToRegExp', () => {
  it('matches *, **, ?, braces and classes', () => {
    expect(globToRegExp('*.csv').test('data.csv')).toBe(true)
    expect(globToRegExp('*.csv').test('dir/data.csv')).toBe(false)
    expect(globToRegExp('**/*.csv').test('data.csv')).toBe(true)
    expect(globToRegExp('**/*.csv').test('a/b/data.csv')).toBe(true)
    expect(globToRegExp('src/*.{ts,js}').test('src/a.js')).toBe(true)
    expect(globToRegExp('src/*.{ts,js}').test('src/a.py')).toBe(false)
    expect(globToRegExp('file?.txt').test('file1.txt')).toBe(true)
    expect(globToRegExp('[ab].md').test('b.md')).toBe(true)
    expect(globToRegExp('[!ab].md').test('b.md')).toBe(false)
    expect(globToRegExp('a.b').test('axb')).toBe(false)
  })
})
