/**
 * Bounds of a model-written `grep` pattern, checked before it is compiled. RE2 matches in time
 * linear in the text, but the constant is the size of the compiled program, which counted
 * repetitions multiply (`(?:a?){300}a{300}` compiles to ~900 instructions: 14 s on 1 MB). This
 * module estimates that size from the pattern's text (each atom 1, a quantifier `{n,m}`
 * multiplies what it repeats by its larger bound and adds a branch per optional copy, nested
 * groups multiply through) and refuses
 * long, deep or large patterns with `InvalidArgumentError`.
 */
import { InvalidArgumentError } from '@pyflue/core'

/** Longest pattern accepted, in characters. */
export const MAX_GREP_PATTERN_CHARS = 1_000
/** Largest estimated (and, once compiled, actual) program size accepted. */
export const MAX_GREP_PROGRAM_SIZE = 500
/** Deepest group nesting accepted. */
export const MAX_GREP_GROUP_DEPTH = 20

interface Frame {
  /** Size of the alternatives already closed by `|`. */
  closed: number
  /** Size of the alternative being read. */
  current: number
  /** Size of the last atom of the current alternative (what a quantifier repeats). */
  last: number
}

/**
 * An over-estimate of the program size RE2 compiles `pattern` to, without compiling it.
 * Stops early (returning a size above `MAX_GREP_PROGRAM_SIZE`) once the estimate is too big.
 */
export function estimateProgramSize(pattern: string): { size: number; depth: number } {
  const stack: Frame[] = [{ closed: 0, current: 0, last: 0 }]
  let maxDepth = 0
  let i = 0
  const atom = (size: number) => {
    const frame = stack.at(-1)!
    frame.current += size
    frame.last = size
  }
  while (i < pattern.length) {
    const ch = pattern[i]!
    if (ch === '\\') {
      const next = pattern[i + 1]
      if ((next === 'p' || next === 'P') && pattern[i + 2] === '{') {
        const close = pattern.indexOf('}', i + 3)
        i = close === -1 ? pattern.length : close + 1
      } else i += 2
      atom(1)
    } else if (ch === '[') {
      i = skipClass(pattern, i)
      atom(1)
    } else if (ch === '(') {
      // `(?:`, `(?P<name>`, `(?<name>` and `(?i:` open groups; `(?i)` only sets flags.
      const opener = /^\(\?(?:P?<[^>]{0,100}>|[a-zA-Z-]{0,10}[:)])/.exec(pattern.slice(i, i + 110))
      if (opener?.[0].endsWith(')')) {
        i += opener[0].length
        continue
      }
      stack.push({ closed: 0, current: 0, last: 0 })
      maxDepth = Math.max(maxDepth, stack.length - 1)
      i += opener ? opener[0].length : 1
    } else if (ch === ')') {
      const frame = stack.length > 1 ? stack.pop()! : undefined
      i++
      if (frame) atom(Math.max(1, frame.closed + frame.current + 1))
    } else if (ch === '|') {
      const frame = stack.at(-1)!
      frame.closed += frame.current + 1
      frame.current = 0
      frame.last = 0
      i++
    } else if (ch === '*' || ch === '+' || ch === '?') {
      stack.at(-1)!.current += 1
      i++
    } else if (ch === '{') {
      const counted = /^\{(\d{1,7})(,(\d{0,7}))?\}/.exec(pattern.slice(i, i + 20))
      if (counted) {
        const low = Number(counted[1])
        const high = counted[2] === undefined ? low : counted[3] === '' ? low + 1 : Number(counted[3])
        const times = Math.max(1, low, high)
        const frame = stack.at(-1)!
        // Each copy past the first repeats the atom; each optional copy adds a branch.
        const optional = Math.max(0, times - low)
        frame.current += frame.last * (times - 1) + optional + 1
        frame.last = frame.last * times + optional
        i += counted[0].length
      } else {
        atom(1)
        i++
      }
    } else {
      atom(1)
      i++
    }
    if (stack.reduce((sum, frame) => sum + frame.closed + frame.current, 0) > MAX_GREP_PROGRAM_SIZE * 4) break
  }
  const size = stack.reduce((sum, frame) => sum + frame.closed + frame.current, 0)
  return { size, depth: maxDepth }
}

/** The index after the character class that opens at `start` (`[`), or the end of the pattern. */
function skipClass(pattern: string, start: number): number {
  let i = start + 1
  if (pattern[i] === '^') i++
  if (pattern[i] === ']') i++
  while (i < pattern.length) {
    const ch = pattern[i]!
    if (ch === '\\') i += 2
    else if (ch === '[' && pattern[i + 1] === ':') {
      const close = pattern.indexOf(':]', i + 2)
      i = close === -1 ? i + 1 : close + 2
    } else if (ch === ']') return i + 1
    else i++
  }
  return i
}

/** Refuses a pattern that is too long, too deeply nested or too large, before compiling it. */
export function checkGrepPattern(pattern: string): void {
  if (pattern.length > MAX_GREP_PATTERN_CHARS) {
    throw new InvalidArgumentError(
      'pattern',
      `The pattern is ${pattern.length} characters long; at most ${MAX_GREP_PATTERN_CHARS} are accepted.`,
    )
  }
  const { size, depth } = estimateProgramSize(pattern)
  if (depth > MAX_GREP_GROUP_DEPTH) {
    throw new InvalidArgumentError(
      'pattern',
      `The pattern nests groups ${depth} deep; at most ${MAX_GREP_GROUP_DEPTH} levels are accepted.`,
    )
  }
  if (size > MAX_GREP_PROGRAM_SIZE) {
    throw new InvalidArgumentError(
      'pattern',
      `The pattern is too large to search with (its repetitions expand to more than ${MAX_GREP_PROGRAM_SIZE} steps); use smaller repetition counts such as {1,50} or + and *.`,
    )
  }
}
