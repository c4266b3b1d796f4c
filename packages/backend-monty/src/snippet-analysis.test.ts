import { describe, expect, it } from 'vitest'
import { analyzeSnippet } from './snippet-analysis.js'

describe('analyzeSnippet', () => {
  it('finds every kind of module-level binding', () => {
    const analysis = analyzeSnippet(
      [
        'import os.path',
        'from math import sqrt as root, pi',
        'a, (b, *c) = 1, (2, 3)',
        'd: int = 4',
        'e = f2 = 5',
        'g += 1',
        'for h, i in []:',
        '    j = 1',
        'with open("x") as k:',
        '    pass',
        'if (m := 3) > 2:',
        '    pass',
        'try:',
        '    pass',
        'except ValueError as err:',
        '    pass',
        'def fn(p, q=1):',
        '    local = 2',
        '    global shared',
        '    return p',
        'lam = lambda r: r',
        '[comp for comp in range(3)]',
        'items[0] = 1',
        'obj.attr = 2',
      ].join('\n'),
    )
    expect([...analysis.assigned].sort()).toEqual(
      [
        'a',
        'b',
        'c',
        'd',
        'e',
        'err',
        'f2',
        'fn',
        'g',
        'h',
        'i',
        'j',
        'k',
        'lam',
        'm',
        'os',
        'pi',
        'root',
        'shared',
      ].sort(),
    )
    expect([...analysis.definitions.keys()].sort()).toEqual(['fn', 'lam', 'os', 'pi', 'root'])
    expect(analysis.definitions.get('root')?.source).toBe('from math import sqrt as root')
    expect(analysis.definitions.get('os')?.source).toBe('import os.path')
    expect(analysis.definitions.get('fn')).toMatchObject({ kind: 'def', line: 17, globals: ['shared'] })
    expect(analysis.definitions.get('lam')).toMatchObject({ kind: 'lambda', source: 'lam = lambda r: r' })
    expect(analysis.lastExpression).toBeUndefined()
    expect(analysis.nestedReads.has('comp')).toBe(true)
    expect(analysis.nestedReads.has('items')).toBe(false)
  })

  it('finds the last expression statement', () => {
    const code = 'x = 1\nx + 1  # comment'
    const analysis = analyzeSnippet(code)
    expect(code.slice(analysis.lastExpression!.from, analysis.lastExpression!.to).trim()).toBe('x + 1')
  })

  it('a later data binding replaces a definition, and the reverse', () => {
    expect([...analyzeSnippet('def f():\n    pass\nf = 1').definitions.keys()]).toEqual([])
    expect([...analyzeSnippet('f = 1\ndef f():\n    pass').definitions.keys()]).toEqual(['f'])
  })

  it('does not take keyword argument names for reads', () => {
    expect(analyzeSnippet('f(size=1)').reads.has('size')).toBe(false)
  })

  it('locates syntax errors', () => {
    expect(analyzeSnippet('x = (1,\n  2\ny = 3').syntaxError?.line).toBe(3)
  })
})
