/**
 * Security of the calling thread: with the pool, snippet analysis and type checking run in a
 * pool process under the run's deadline, and nesting past Python's own limits is refused by a
 * linear scan before anything parses it. Each attack runs in its own child process
 * (`test/calling-thread-child.mjs`): a native crash fails the test through the child's exit
 * status. "Not frozen" is counted, not timed: the child's event loop turns (a 1 ms timer)
 * while the run is in progress; work held on the calling thread lets it turn only at the run's
 * few await points, and the attacks below each cost hundreds of milliseconds of parsing.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const CHILD = fileURLToPath(new URL('../test/calling-thread-child.mjs', import.meta.url))

interface Report {
  outcome: { ok: boolean; name?: string; code?: string; result?: unknown }
  turns: number
}

async function attack(name: string, execution: string): Promise<Report> {
  // The timeout is a safety net for a hang (the test then fails), not a measure of speed.
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, name, execution], {
    timeout: 120_000,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Report
}

/** A typed outcome: a result, or one of PyFlue's errors (never an untyped RangeError). */
const TYPED = ['PYTHON_SYNTAX', 'PYTHON_TYPING', 'RESOURCE_LIMIT', 'EXECUTION_CRASHED']

describe('the calling thread does only bounded work (pool)', () => {
  for (const name of ['typeCheck on a 20 000-long attribute chain', '200 KB of nested snippet']) {
    it(`${name}: the host survives, its event loop keeps turning, the outcome is typed`, async () => {
      const report = await attack(name, 'pool')
      if (!report.outcome.ok) expect(TYPED).toContain(report.outcome.code)
      expect(report.turns).toBeGreaterThanOrEqual(20)
    })
  }

  it('the same 200 KB snippet in-thread holds the calling thread (what the pool avoids)', async () => {
    const report = await attack('200 KB of nested snippet', 'in-thread-trusted-code-only')
    expect(report.turns).toBeLessThan(20)
  })

  for (const execution of ['pool', 'in-thread-trusted-code-only']) {
    for (const name of [
      'brackets nested 100 000 deep',
      'unary operators nested 100 000 deep',
      'lambdas nested 20 000 deep',
    ]) {
      it(`${execution}: ${name} is a typed error`, async () => {
        const { outcome } = await attack(name, execution)
        expect(outcome.ok).toBe(false)
        expect(TYPED).toContain(outcome.code)
        if (name.startsWith('brackets')) expect(outcome).toMatchObject({ name: 'PythonSyntaxError' })
      })
    }
  }
})
