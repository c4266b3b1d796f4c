import { describe, expect, it } from 'vitest'
import { isInsidePath, normalizeAbsolutePath, parentPath, resolveSandboxPath } from './paths.js'

describe('paths', () => {
  it.each([
    ['/', '/'],
    ['//a///b/', '/a/b'],
    ['/a/./b/../c', '/a/c'],
    ['/../../etc', '/etc'],
    ['/a/b/../../..', '/'],
  ])('normalizeAbsolutePath(%j) = %j', (input, expected) => {
    expect(normalizeAbsolutePath(input)).toBe(expected)
  })

  it('resolves relative paths against cwd and never above the root', () => {
    expect(resolveSandboxPath('/work', 'a/b')).toBe('/work/a/b')
    expect(resolveSandboxPath('/work', '../../../x')).toBe('/x')
    expect(resolveSandboxPath('/work', '/abs')).toBe('/abs')
  })

  it('finds parents and containment', () => {
    expect(parentPath('/a/b')).toBe('/a')
    expect(parentPath('/a')).toBe('/')
    expect(isInsidePath('/work', '/work/x')).toBe(true)
    expect(isInsidePath('/work', '/workshop')).toBe(false)
    expect(isInsidePath('/', '/anything')).toBe(true)
  })
})
