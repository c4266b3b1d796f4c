/**
 * `analysisOf`: a snippet's analysis (`snippet-analysis.ts`), cached by its text (least recently
 * used of 512 dropped). A long snippet is analysed in a pool process, since parsing deep or long
 * code is slow and must not hold the calling thread; a small one (bounded: 3.3 ms here for the
 * worst 1 KB measured), and every one in-thread, on the calling thread. Either way the snippet's
 * nesting is checked first, linearly (`snippet-shape.ts`).
 */
import type { ResourceLimits } from '@pyflue/core'
import type { MontyPool } from './monty-pool.js'
import { montyLimitsOf, type RunClock } from './run-limits.js'
import { analyzeSnippet, type SnippetAnalysis } from './snippet-analysis.js'
import { checkSnippetShape } from './snippet-shape.js'

const ANALYSIS_CACHE_SIZE = 512
/**
 * Snippets up to this many characters are analysed on the calling thread: a round trip to a
 * pool process costs more than their parse, whose worst case measured here (1 KB of 200-deep
 * brackets) took 3.3 ms here.
 */
const SMALL_SNIPPET_CHARS = 1024
const analysisCache = new Map<string, SnippetAnalysis>()

export async function analysisOf(
  code: string,
  pool: MontyPool | undefined,
  limits: ResourceLimits,
  clock: RunClock,
  signal: AbortSignal | undefined,
): Promise<SnippetAnalysis> {
  const cached = analysisCache.get(code)
  if (cached) {
    analysisCache.delete(code)
    analysisCache.set(code, cached)
    return cached
  }
  checkSnippetShape(code)
  const analysis =
    pool && code.length > SMALL_SNIPPET_CHARS
      ? (await pool.task({ type: 'analyze', code }, 'analysis', montyLimitsOf(limits), clock, signal))
          .analysis
      : analyzeSnippet(code)
  analysisCache.set(code, analysis)
  if (analysisCache.size > ANALYSIS_CACHE_SIZE) analysisCache.delete(analysisCache.keys().next().value!)
  return analysis
}
