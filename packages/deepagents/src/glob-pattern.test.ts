import { describe, expect, it } from 'vitest'
import { globToRegExp } from './glob-pattern.js'

const matches = (pattern: string, path: string) => globToRegExp(pattern).test(path)

describe('globToRegExp', () => {
  it('keeps * and ? within one segment', () => {
    expect(matches('*.py', 'a.py')).toBe(true)
    expect(matches('*.py', 'src/a.py')).toBe(false)
    expect(matches('?.py', 'a.py')).toBe(true)
    expect(matches('?.py', 'ab.py')).toBe(false)
  })

  it('lets ** span any number of segments, none included', () => {
    expect(matches('**/*.py', 'a.py')).toBe(true)
    expect(matches('**/*.py', 'src/deep/a.py')).toBe(true)
    expect(matches('src/**/*.py', 'src/a.py')).toBe(true)
    expect(matches('src/**', 'src/x/y.txt')).toBe(true)
    expect(matches('src/**/*.py', 'lib/a.py')).toBe(false)
  })

  it('reads classes, alternatives and literal characters', () => {
    expect(matches('[ab].txt', 'b.txt')).toBe(true)
    expect(matches('[!ab].txt', 'b.txt')).toBe(false)
    expect(matches('*.{ts,js}', 'x.js')).toBe(true)
    expect(matches('*.{ts,js}', 'x.py')).toBe(false)
    expect(matches('a+b.(1).txt', 'a+b.(1).txt')).toBe(true)
    expect(matches('a.txt', 'aXtxt')).toBe(false)
    expect(matches('*', '.hidden')).toBe(true)
  })
})
