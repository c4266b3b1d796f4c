// Prints one closing line for the whole test run, summed over every package's vitest summary
// (turbo keeps each task's output in <package>/.turbo/turbo-test.log, cached runs included) and
// with `--consumer` the consumer test's (.turbo/consumer-test.log). `--since=<ms>` ignores logs older than the run,
// so a task that did not run this time (its build failed) counts as missing, not as its last result.
// It prints the line on failure too, then exits non-zero.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const sinceArg = process.argv.find((a) => a.startsWith('--since='))
const since = sinceArg ? Number(sinceArg.slice('--since='.length)) : 0
const totals = { passed: 0, failed: 0, skipped: 0 }
const missing = []

function count(name, log) {
  const fresh = existsSync(log) && statSync(log).mtimeMs >= since - 1000
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
  const text = fresh ? readFileSync(log, 'utf8').replace(/\u001b\[[0-9;]*m/g, '') : ''
  const line = text.split('\n').findLast((l) => /^\s*Tests\s+\d/.test(l.replace(/^.*?:\s/, '')))
  if (!line) {
    missing.push(name)
    return
  }
  for (const kind of Object.keys(totals)) {
    const match = new RegExp(`(\\d+) ${kind}`).exec(line)
    if (match) totals[kind] += Number(match[1])
  }
}

for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(group)) {
    const dir = join(group, name)
    const manifest = join(dir, 'package.json')
    if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test) continue
    count(dir, join(dir, '.turbo', 'turbo-test.log'))
  }
}
if (process.argv.includes('--consumer')) count('consumer test', join('.turbo', 'consumer-test.log'))
if (missing.length > 0) console.log(`no test summary found for: ${missing.join(', ')}`)
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
if (missing.length > 0 || totals.failed > 0 || totals.passed === 0) process.exit(1)
