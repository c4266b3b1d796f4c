// Prints one closing line for the whole test run, summed over every package's vitest summary
// (turbo keeps each task's output in <package>/.turbo/turbo-test.log, cached runs included).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const totals = { passed: 0, failed: 0, skipped: 0 }
const missing = []
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(group)) {
    const dir = join(group, name)
    const manifest = join(dir, 'package.json')
    if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test) continue
    const log = join(dir, '.turbo', 'turbo-test.log')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
    const text = existsSync(log) ? readFileSync(log, 'utf8').replace(/\u001b\[[0-9;]*m/g, '') : ''
    const line = text.split('\n').findLast((l) => /^\s*Tests\s+\d/.test(l.replace(/^.*?:\s/, '')))
    if (!line) {
      missing.push(dir)
      continue
    }
    for (const kind of Object.keys(totals)) {
      const match = new RegExp(`(\\d+) ${kind}`).exec(line)
      if (match) totals[kind] += Number(match[1])
    }
  }
}
if (missing.length > 0) console.log(`no vitest summary found for: ${missing.join(', ')}`)
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
if (missing.length > 0 || totals.failed > 0 || totals.passed === 0) process.exit(1)
