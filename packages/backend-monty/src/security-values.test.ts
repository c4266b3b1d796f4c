/**
 * Security of value conversion: every value crossing the boundary (inputs, results, external
 * calls' arguments and returns) is held to `maxValueNodes` / `maxValueBytes`, refused on a
 * reported length before it is iterated, and walked once per distinct object. Each attack runs
 * in its own child process (`test/value-bombs-child.mjs`), so a crash or a hang fails the test
 * (the child's exit status) instead of taking the runner down.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const CHILD = fileURLToPath(new URL('../test/value-bombs-child.mjs', import.meta.url))

interface Outcome {
  ok: boolean
  result?: unknown
  name?: string
  code?: string
  found?: string
  limit?: string
}

async function attack(name: string, execution: string): Promise<Outcome> {
  // The timeout is a safety net for a hang (the test then fails), not a measure of speed.
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, name, execution], {
    timeout: 120_000,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome
}

const tooMany = { ok: false, name: 'ValueConversionError', code: 'VALUE_CONVERSION', found: 'too-many-nodes' }
const tooLarge = {
  ok: false,
  name: 'ValueConversionError',
  code: 'VALUE_CONVERSION',
  found: 'too-many-bytes',
}

const cases: [string, Partial<Outcome>][] = [
  ['input huge array', tooMany],
  ['input lying proxy', tooMany],
  ['input huge Set size', { ok: false, code: 'VALUE_CONVERSION', found: 'unreadable' }],
  ['input dag 2**24', tooMany],
  ['input dag 2**8', { ok: true, result: 256 }],
  ['input bytes budget', tooLarge],
  ['external returns dag 2**24', tooMany],
  ['external returns huge array', tooMany],
  ['external async returns dag 2**24', tooMany],
  ['external argument over budget', { ok: true, result: 'refused' }],
  ['result bytes budget', tooLarge],
  ['result nodes budget', tooMany],
]

describe('value budgets hold for every conversion, in both execution modes', () => {
  for (const execution of ['pool', 'in-thread-trusted-code-only']) {
    for (const [name, expected] of cases) {
      it(`${execution}: ${name}`, async () => {
        expect(await attack(name, execution)).toMatchObject(expected)
      })
    }
  }

  it('pool: a 2**24-path result built in Python ends with a typed error at its deadline', async () => {
    // Monty itself copies a shared part once per path when it hands a value out; in the pool
    // that copy runs in the process the deadline kills. (On the calling thread it cannot be stopped.)
    const outcome = await attack('result dag 2**24', 'pool')
    expect(outcome.ok).toBe(false)
    expect(['RESOURCE_LIMIT', 'VALUE_CONVERSION']).toContain(outcome.code)
  })
})
