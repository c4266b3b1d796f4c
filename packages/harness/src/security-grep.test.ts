// Security: the grep tool bounds the model's pattern before compiling it, and matches in a
// worker thread that its deadline and the abort signal stop (issue 10: `(?:a?){300}a{300}` on
// 1 MB froze the host 14 s and ignored abort).
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createVirtualSandbox } from '@pyflue/sandbox-virtual'
import { describe, expect, it } from 'vitest'
import {
  checkGrepPattern,
  estimateProgramSize,
  MAX_GREP_GROUP_DEPTH,
  MAX_GREP_PATTERN_CHARS,
  MAX_GREP_PROGRAM_SIZE,
} from './grep-pattern.js'
import { sandboxTools } from './sandbox-tools.js'

const call = { toolCallId: 't', messages: [] }
/** 1.9 MB on which `(?:a?){100}a{100}` never matches: every position runs the whole program. */
const slowText = `${`${'a'.repeat(99)}b`.repeat(19_000)}\n`

describe('grep pattern bounds (checked before compiling)', () => {
  it('refuses the catastrophic repetition of the issue, long patterns and deep nesting', async () => {
    const tools = sandboxTools(await createVirtualSandbox({ files: { 'big.txt': 'a'.repeat(1_000_000) } }))
    const refusal = await tools.grep.execute!({ pattern: '(?:a?){300}a{300}' }, call)
    expect(refusal).toMatch(/^Error \(INVALID_ARGUMENT\): .*too large/)
    expect(() => checkGrepPattern('x'.repeat(MAX_GREP_PATTERN_CHARS + 1))).toThrow(/at most 1000/)
    expect(() => checkGrepPattern(`${'('.repeat(MAX_GREP_GROUP_DEPTH + 1)}a${')'.repeat(21)}`)).toThrow(
      /nests groups 21 deep/,
    )
    expect(() => checkGrepPattern('(?:(?:a{30}){30})')).toThrow(/too large/)
    expect(() => checkGrepPattern('[a-z]{1,1000}')).toThrow(/too large/)
  })

  it('accepts ordinary patterns; the estimate stays near the compiled size, which is checked too', async () => {
    const { RE2JS } = await import('re2js')
    for (const pattern of [
      'abc',
      '^\\s*def \\w+\\(',
      '(?i)error|warn(ing)?',
      '\\d{4}-\\d{2}-\\d{2}',
      'x{2,}',
      '[[:alpha:]]+',
    ]) {
      expect(() => checkGrepPattern(pattern)).not.toThrow()
    }
    for (const pattern of [
      '(?:a?){100}a{100}',
      '(?:(?:a{5}){5}){5}',
      '[a-z]{1,200}',
      '(a|bc|def){10}',
      'a{2,40}b?',
    ]) {
      const { size } = estimateProgramSize(pattern)
      expect(size).toBeGreaterThanOrEqual(RE2JS.compile(pattern).programSize() * 0.85)
    }
    // Under the estimate, over the compiled bound: refused once compiled (in the worker).
    expect(estimateProgramSize('(a|bc|def){50}').size).toBeLessThanOrEqual(MAX_GREP_PROGRAM_SIZE)
    const tools = sandboxTools(await createVirtualSandbox({ files: { 'a.txt': 'abc\n' } }))
    expect(await tools.grep.execute!({ pattern: '(a|bc|def){50}' }, call)).toMatch(
      /^Error \(INVALID_ARGUMENT\): .*compiles to 502 steps, more than 500/,
    )
  })
})

describe('grep runs where its deadline and the abort signal stop it', () => {
  it('a search still running at the deadline stops with ResourceLimitError, and the tools keep working', async () => {
    const sandbox = await createVirtualSandbox({ files: { 'slow.txt': slowText, 'small.txt': 'needle\n' } })
    const tools = sandboxTools(sandbox, { grepTimeoutMs: 200 })
    // The work would take seconds; the event loop stays free, so the deadline's timer runs.
    const text = await tools.grep.execute!({ pattern: '(?:a?){100}a{100}', path: 'slow.txt' }, call)
    expect(text).toMatch(/^Error \(RESOURCE_LIMIT\): grep did not finish within 200 ms/)
    expect(await sandboxTools(sandbox).grep.execute!({ pattern: 'needle' }, call)).toBe(
      '/small.txt:1: needle',
    )
  })

  it('an abort stops a running search with an AbortError', async () => {
    const tools = sandboxTools(await createVirtualSandbox({ files: { 'slow.txt': slowText } }), {
      grepTimeoutMs: 3_600_000,
    })
    const controller = new AbortController()
    let ticks = 0
    // Abort from a timer: it can only fire because the matching runs off the event loop.
    const interval = setInterval(() => {
      ticks++
      if (ticks === 3) controller.abort()
    }, 20)
    try {
      const running = tools.grep.execute!(
        { pattern: '(?:a?){100}a{100}' },
        { ...call, abortSignal: controller.signal },
      ) as Promise<string>
      const outcome = await running.then(
        () => 'resolved',
        (error: unknown) => (error as { name?: string }).name,
      )
      expect(outcome).toBe('AbortError')
      expect(ticks).toBeGreaterThanOrEqual(3)
    } finally {
      clearInterval(interval)
    }
  })

  it('skips a FIFO planted in the workspace instead of blocking on it', async () => {
    const sandbox = await createVirtualSandbox({ files: { 'a.txt': 'needle\n' } })
    await promisify(execFile)('mkfifo', [join(sandbox.hostMounts()[0]!.hostDir, 'pipe')])
    // Opening a FIFO for reading blocks until a writer comes; grep looks at the kind first.
    expect(await sandboxTools(sandbox).grep.execute!({ pattern: 'needle' }, call)).toBe('/a.txt:1: needle')
    await sandbox.close()
  })

  it('shows matching lines cut to 500 characters and skips files above the size cap', async () => {
    const tools = sandboxTools(
      await createVirtualSandbox({
        files: { 'long.txt': `${'k'.repeat(10_000)}\n`, 'huge.txt': `${'k\n'.repeat(1_500_000)}` },
      }),
    )
    expect(await tools.grep.execute!({ pattern: 'k+' }, call)).toBe(
      `/long.txt:1: ${'k'.repeat(500)} [line cut]`,
    )
  })
})
