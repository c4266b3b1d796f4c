// Glob patterns as Deep Agents' `glob` and `grep` tools use them, matched against paths
// relative to the search root: `*` and `?` stay within one segment, `**` spans any number of
// segments (none included), `[abc]`/`[!abc]` are character classes, `{a,b}` alternatives.
// Dot files match like any other (as fast-glob's `dot: true`, which Deep Agents' own backends use).

/** A regular expression that matches exactly the `/`-separated relative paths `pattern` matches. */
export function globToRegExp(pattern: string): RegExp {
  let source = ''
  let depth = 0 // inside {…}
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        const atSegmentStart = i === 0 || pattern[i - 1] === '/'
        i += 1
        if (pattern[i + 1] === '/' && atSegmentStart) {
          i += 1
          source += '(?:[^/]*/)*' // `**/`: zero or more whole segments
        } else {
          source += '.*'
        }
      } else {
        source += '[^/]*'
      }
    } else if (ch === '?') {
      source += '[^/]'
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end === -1) {
        source += '\\['
      } else {
        let body = pattern.slice(i + 1, end)
        const negated = body.startsWith('!') || body.startsWith('^')
        if (negated) body = body.slice(1)
        source += `[${negated ? '^/' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`
        i = end
      }
    } else if (ch === '{') {
      depth += 1
      source += '(?:'
    } else if (ch === '}' && depth > 0) {
      depth -= 1
      source += ')'
    } else if (ch === ',' && depth > 0) {
      source += '|'
    } else {
      source += ch.replace(/[.+^$()|\\\]{}]/g, '\\$&')
    }
  }
  return new RegExp(`^${source}${')'.repeat(depth)}$`)
}
