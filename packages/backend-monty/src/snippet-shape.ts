/**
 * A cheap, linear check of a snippet's shape before anything parses it: bracket nesting and
 * indentation depth. Parsers (ours, `@lezer/python`, and Monty's) slow down sharply or run out
 * of stack on deep nesting; Python itself refuses such code (CPython: "too many nested
 * parentheses" past 200, "too many levels of indentation" past 100). A snippet past these
 * bounds is a `PythonSyntaxError` naming the line, without being parsed. String literals and
 * comments are skipped, so brackets inside them do not count.
 */
import { PythonSyntaxError } from '@pyflue/core'

/** Most brackets open at once (CPython's own limit). */
export const MAX_BRACKET_NESTING = 200
/** Most indentation levels (CPython's own limit). */
export const MAX_INDENT_LEVELS = 100

/** Throws `PythonSyntaxError` when `code` nests deeper than Python allows. */
export function checkSnippetShape(code: string): void {
  let line = 1
  let brackets = 0
  const indents: number[] = [0]
  let atLineStart = true
  let i = 0
  const n = code.length
  const fail = (message: string) => {
    throw new PythonSyntaxError({ message, line })
  }
  while (i < n) {
    const c = code[i]!
    if (atLineStart) {
      atLineStart = false
      let width = 0
      while (i < n && (code[i] === ' ' || code[i] === '\t')) {
        width += code[i] === '\t' ? 8 - (width % 8) : 1
        i++
      }
      const next = code[i]
      // Blank lines, comments and continuation lines inside brackets do not indent.
      if (brackets === 0 && next !== undefined && next !== '\n' && next !== '\r' && next !== '#') {
        if (width > indents[indents.length - 1]!) {
          indents.push(width)
          if (indents.length - 1 > MAX_INDENT_LEVELS) fail('too many levels of indentation')
        } else while (width < indents[indents.length - 1]!) indents.pop()
      }
      continue
    }
    if (c === '\n') {
      line++
      i++
      atLineStart = true
      continue
    }
    if (c === '#') {
      while (i < n && code[i] !== '\n') i++
      continue
    }
    if (c === '"' || c === "'") {
      const triple = code[i + 1] === c && code[i + 2] === c
      const quote = triple ? c.repeat(3) : c
      i += quote.length
      while (i < n) {
        const d = code[i]!
        if (d === '\\') {
          if (code[i + 1] === '\n') line++
          i += 2
          continue
        }
        if (d === '\n') {
          line++
          if (!triple) break // an unterminated string: the parser reports it
        }
        if (code.startsWith(quote, i)) {
          i += quote.length
          break
        }
        i++
      }
      continue
    }
    if (c === '(' || c === '[' || c === '{') {
      brackets++
      if (brackets > MAX_BRACKET_NESTING) fail('too many nested parentheses')
    } else if ((c === ')' || c === ']' || c === '}') && brackets > 0) brackets--
    else if (c === '\\' && code[i + 1] === '\n') {
      // A line continuation: the next line does not start a statement.
      line++
      i += 2
      continue
    }
    i++
  }
}
