import { InvalidArgumentError } from '@pyflue/core'
import { RE2JS } from 're2js'

/** Tests `/`-separated relative paths against a glob. */
export interface GlobMatcher {
  test(path: string): boolean
}

/**
 * Compiles a glob pattern over `/`-separated relative paths: `**` matches any number of
 * directories, `*` anything within one name, `?` one character, `{a,b}` either alternative and
 * `[abc]` one of a set. Matching is RE2's (linear time), so a model-written glob such as
 * `*a*a*a*a*a*b` cannot stall the host. A malformed glob is `InvalidArgumentError`.
 */
export function globMatcher(pattern: string): GlobMatcher {
  let source = ''
  let braces = 0
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        const atSegmentStart = i === 0 || pattern[i - 1] === '/'
        const followedBySlash = pattern[i + 2] === '/'
        if (atSegmentStart && followedBySlash) {
          source += '(?:[^/]*/)*'
          i += 2
        } else {
          source += '.*'
          i += 1
        }
      } else {
        source += '[^/]*'
      }
    } else if (ch === '?') {
      source += '[^/]'
    } else if (ch === '{') {
      braces++
      source += '(?:'
    } else if (ch === '}' && braces > 0) {
      braces--
      source += ')'
    } else if (ch === ',' && braces > 0) {
      source += '|'
    } else if (ch === '[') {
      const close = pattern.indexOf(']', i + 1)
      if (close < 0) {
        source += '\\['
      } else {
        const body = pattern
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')
        source += `[${body}]`
        i = close
      }
    } else {
      source += ch.replace(/[.+^$()|\\\]{}]/g, '\\$&')
    }
  }
  let compiled: RE2JS
  try {
    compiled = RE2JS.compile(`^${source}$`)
  } catch (error) {
    throw new InvalidArgumentError(
      'pattern',
      `Invalid glob ${JSON.stringify(pattern)}: ${(error as Error).message}`,
    )
  }
  return { test: (path) => compiled.matches(path) }
}
