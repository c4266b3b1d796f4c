/**
 * The escape attacks of issue 10, each in a child process (a crash or a hang fails the test): a
 * link moved by Python to the root, a link to /proc/self, a Python loop swapping a directory and a
 * link while the host reads and writes, and Python's exists() as a host-file oracle.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const SECRET = 'race-secret-4c1d'
const child = new URL('./testing/escape-attacks-child.ts', import.meta.url).pathname
let outside: string

beforeEach(() => {
  outside = mkdtempSync(join(tmpdir(), 'pyflue-race-target-'))
  writeFileSync(join(outside, 'secret.txt'), SECRET)
})
afterEach(() => rmSync(outside, { recursive: true, force: true }))

interface AttackReport {
  leaked: string[]
  seen: string[]
  facts: Record<string, string>
  outside: string[]
}

async function attack(name: string, iterations: number): Promise<AttackReport> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', child, name, outside, String(iterations)],
    { cwd: new URL('..', import.meta.url).pathname, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as AttackReport
}

function expectNothingOutsideTouched(report: AttackReport): void {
  expect(report.leaked).toEqual([])
  expect(report.outside).toEqual(['secret.txt'])
  expect(readdirSync(outside)).toEqual(['secret.txt'])
  expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe(SECRET)
}

describe('escape attacks (issue 10), each in a child process', () => {
  it('a relative link moved by Python Path.rename to the root reaches nothing outside', async () => {
    const report = await attack('rename-link', 50)
    expectNothingOutsideTouched(report)
    // The shell refuses to make the link at all.
    expect(report.seen[0]).toMatch(/^ln: /)
  }, 300_000)

  it('a link to /proc/self gives no host environment', async () => {
    const report = await attack('proc-self', 1)
    expectNothingOutsideTouched(report)
  }, 300_000)

  it('a Python loop swapping a directory and a shell-made link reads and writes nothing outside', async () => {
    const report = await attack('swap-race', 300)
    expectNothingOutsideTouched(report)
  }, 300_000)

  it('the same race over a link planted on disk by the host reads and writes nothing outside', async () => {
    const report = await attack('swap-race-planted', 300)
    expectNothingOutsideTouched(report)
    // The race ran: the host did at least as many rounds as asked while Python swapped.
    expect(Number(report.facts.rounds)).toBeGreaterThanOrEqual(300)
    expect(Number(report.facts.swaps)).toBeGreaterThan(0)
  }, 300_000)

  it("Python's exists() does not tell existing host files from missing ones", async () => {
    const report = await attack('exists-oracle', 1)
    expect(report.facts.exists).toBe(report.facts.missing)
    expectNothingOutsideTouched(report)
  }, 300_000)
})
