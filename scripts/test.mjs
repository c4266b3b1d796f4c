// The README's test command: every package's build, type check, tests and lint through turbo
// (continuing past a failed task so every package's results print), then the consumer test
// against packed tarballs, then one closing `Tests:` line. Exits non-zero when anything failed.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const started = Date.now()
const run = (command, args) =>
  spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' })

// Turbo leaves an existing task log untouched on a cache hit (and writes it afresh when missing),
// so the old logs go first: the summary then reads only what this run ran or replayed.
for (const group of ['packages', 'apps']) {
  for (const name of existsSync(group) ? readdirSync(group) : []) {
    rmSync(join(group, name, '.turbo', 'turbo-test.log'), { force: true })
  }
}
const turbo = run('turbo', ['run', 'build', 'typecheck', 'test', 'lint', '--continue'])
// `node scripts/test.mjs --no-consumer` leaves the consumer test out (it needs the packages built).
const withConsumer = !process.argv.includes('--no-consumer')
const consumer = withConsumer ? run(process.execPath, ['scripts/consumer-test.mjs']) : { status: 0 }
const summary = run(process.execPath, [
  'scripts/test-summary.mjs',
  `--since=${started}`,
  ...(withConsumer ? ['--consumer'] : []),
])
process.exit(turbo.status || consumer.status || summary.status || 0)
