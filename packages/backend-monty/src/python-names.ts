/** Python's reserved words: never usable as variable or function names. */
const KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
])

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** True for a name a caller may bind in Python: an ASCII identifier, not a keyword, not the engine's `__pf_` prefix. */
export function isUsablePythonName(name: string): boolean {
  return IDENTIFIER.test(name) && !KEYWORDS.has(name) && !name.startsWith('__pf_')
}
