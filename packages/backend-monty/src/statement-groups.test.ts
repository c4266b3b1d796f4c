/**
 * Statements on one line separated by `;` are statements like any other: each binding persists,
 * and a line ending in an expression is the run's result.
 */
import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { analyzeSnippet } from './snippet-analysis.js'

describe('statements separated by ;', () => {
  it('the analysis sees every statement of the line', () => {
    const analysis = analyzeSnippet('a = 1; b = [a]; import math; c = 2\nif a:\n    d = 1; e = 2')
    for (const name of ['a', 'b', 'c', 'd', 'e']) expect(analysis.assigned.has(name)).toBe(true)
    expect(analysis.definitions.has('math')).toBe(true)
    expect(analysis.lastExpression).toBeUndefined()
    const ending = 'x = 1; x + 1'
    const last = analyzeSnippet(ending).lastExpression
    expect(last && ending.slice(last.from, last.to)).toBe('x + 1')
  })

  for (const execution of ['pool', 'in-thread-trusted-code-only'] as const) {
    it(`every binding persists, and the last expression is the result (${execution})`, async () => {
      const py = createMontyBackend({ execution })
      try {
        expect((await py.run('p = [1]; q = p; n = 2')).result).toBeNull()
        expect((await py.run('(p, q, n)')).result).toEqual(Object.assign([[1], [1], 2], { __tuple__: true }))
        expect((await py.run('n = n + 1; n * 10')).result).toBe(30)
        expect((await py.run('n')).result).toBe(3)
        expect((await py.run('if n:\n    s = 1; t = 2\ns + t')).result).toBe(3)
      } finally {
        await py.close()
      }
    }, 60_000)
  }
})
