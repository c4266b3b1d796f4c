import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { sandboxContractTitles } from '../src/index.js'

const run = promisify(execFile)

interface JsonReport {
  testResults: { assertionResults: { title: string; status: string; ancestorTitles: string[] }[] }[]
}

it('the sandbox suite fails exactly the tests of the promises a broken sandbox breaks', async () => {
  const out = mkdtempSync(join(tmpdir(), 'pyflue-broken-report-'))
  const report = join(out, 'report.json')
  const cwd = new URL('../', import.meta.url).pathname
  const vitest = join(cwd, 'node_modules/vitest/vitest.mjs')
  await run(
    process.execPath,
    [vitest, 'run', '--config', 'vitest.broken.config.ts', '--reporter=json', `--outputFile=${report}`],
    {
      cwd,
    },
  ).catch((error: { code?: number }) => {
    // vitest exits 1 when tests fail, which is what this test expects.
    expect(error.code).toBe(1)
  })
  const results = (JSON.parse(readFileSync(report, 'utf8')) as JsonReport).testResults.flatMap(
    (r) => r.assertionResults,
  )
  rmSync(out, { recursive: true, force: true })
  const failed = results.filter((r) => r.status === 'failed').map((r) => r.title)
  expect(failed.sort()).toEqual(
    [
      'is false for a missing path and never rejects, even for odd paths',
      'resolves (does not reject) a command that exits non-zero',
      'returns entry names only, sorted, without . and ..',
    ].sort(),
  )
  expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(35)
  // The failures above are all the first registration's: the excused one runs every other test.
  const excused = results.filter((r) => r.ancestorTitles[0] === 'Sandbox contract: broken, excused')
  expect(excused.length).toBe(sandboxContractTitles().length - 3)
  expect(excused.every((r) => r.status === 'passed')).toBe(true)
}, 120_000)
