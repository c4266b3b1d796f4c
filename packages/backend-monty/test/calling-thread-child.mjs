// Runs one calling-thread attack (argv[2]) in one execution mode (argv[3]) in this process and
// prints { outcome, turns }: how the run ended (a result or a typed error), and how many times
// this process's event loop turned (a 1 ms timer) while the run was in progress (a run that holds the calling
// thread lets it turn only at its few await points). A crash shows as this process's exit status.
import { createMontyBackend } from '../dist/index.js'

const [attack, execution] = process.argv.slice(2)
const nested = `x = ${'['.repeat(150)}${']'.repeat(150)}\n`
const attacks = {
  'typeCheck on a 20 000-long attribute chain': {
    code: `x = 1\ny = x${'.real'.repeat(20_000)}`,
    options: { typeCheck: true, resourceLimits: { maxDurationSecs: 3 } },
  },
  '200 KB of nested snippet': { code: nested.repeat(Math.floor(200_000 / nested.length)), options: {} },
  'brackets nested 100 000 deep': { code: '['.repeat(100_000) + ']'.repeat(100_000), options: {} },
  'unary operators nested 100 000 deep': { code: `x = ${'-'.repeat(100_000)}1`, options: {} },
  'lambdas nested 20 000 deep': { code: `f = ${'lambda: '.repeat(20_000)}1`, options: {} },
}
const { code, options } = attacks[attack]
const backend = createMontyBackend({ execution })
let turns = 0
let spinning = true
const spin = () => {
  turns++
  if (spinning) setTimeout(spin, 1)
}
setTimeout(spin, 1)
let outcome
try {
  const run = await backend.run(code, options)
  outcome = { ok: true, result: run.result }
} catch (error) {
  outcome = { ok: false, name: error?.name, code: error?.code, message: String(error?.message).slice(0, 200) }
}
spinning = false
console.log(JSON.stringify({ outcome, turns }))
await backend.close()
process.exit(0)
