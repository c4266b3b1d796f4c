import { PythonSyntaxError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { checkSnippetShape, MAX_BRACKET_NESTING, MAX_INDENT_LEVELS } from './snippet-shape.js'

describe('checkSnippetShape', () => {
  it('accepts nesting up to the limits, and brackets inside strings and comments', () => {
    expect(() =>
      checkSnippetShape(`x = ${'['.repeat(MAX_BRACKET_NESTING)}${']'.repeat(MAX_BRACKET_NESTING)}`),
    ).not.toThrow()
    const deep = Array.from({ length: MAX_INDENT_LEVELS }, (_, i) => `${' '.repeat(i)}if x:`).join('\n')
    expect(() => checkSnippetShape(`${deep}\n${' '.repeat(MAX_INDENT_LEVELS)}pass`)).not.toThrow()
    expect(() =>
      checkSnippetShape(`s = "${'('.repeat(500)}"\n# ${'['.repeat(500)}\nt = '''\n${'{'.repeat(500)}'''`),
    ).not.toThrow()
  })

  it('refuses deeper bracket nesting and indentation with a PythonSyntaxError naming the line', () => {
    let error: unknown
    try {
      checkSnippetShape(`a = 1\nx = ${'('.repeat(MAX_BRACKET_NESTING + 1)}`)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(PythonSyntaxError)
    expect(error).toMatchObject({ line: 2, pythonMessage: 'too many nested parentheses' })
    const deep = Array.from({ length: MAX_INDENT_LEVELS + 1 }, (_, i) => `${' '.repeat(i)}if x:`).join('\n')
    expect(() => checkSnippetShape(`${deep}\n${' '.repeat(MAX_INDENT_LEVELS + 1)}pass`)).toThrow(
      /too many levels of indentation/,
    )
  })
})
