import { InvalidArgumentError } from '@pyflue/core'
import { RE2JS } from 're2js'

/** Longest glob accepted, in characters. */
export const MAX_GLOB_PATTERN_CHARS = 256
/** Largest compiled program a glob may have (RE2's cost per character matched). */
export const MAX_GLOB_PROGRAM_SIZE = 600

/** Tests `/`-separated relative paths against a glob. */
export interface GlobMatcher {
  test(path: string): boolean
}

/**
 * Compiles a glob pattern over `/`-separated relative paths: `**` matches any number of
 * directories, `*` anything within one name, `?` one character, `{a,b}` either alternative and
 * `[abc]` one of a set. Matching is RE2's (linear time), so a model-written glob such as
 * `*a*a*a*a*a*b` cannot stall the host; the glob's length and compiled size are bounded too,
 * since matching costs their product with the path's length. A malformed, too long or too large
 * glob is `InvalidArgumentError`.
 */
export function globMatcher(pattern: string): GlobMatcher {
  if (pattern.length > MAX_GLOB_PATTERN_CHARS) {
    throw new InvalidArgumentError(
      'pattern',
      `The glob is ${pattern.length} characters long; at most ${MAX_GLOB_PATTERN_CHARS} are accepted.`,
    )
  }
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
  if (compiled.programSize() > MAX_GLOB_PROGRAM_SIZE) {
    throw new InvalidArgumentError(
      'pattern',
      `The glob ${JSON.stringify(pattern)} is too large to match with (${compiled.programSize()} steps, at most ${MAX_GLOB_PROGRAM_SIZE}).`,
    )
  }
  return { test: (path) => compiled.matches(path) }
}
