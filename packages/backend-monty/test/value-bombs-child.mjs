// Runs one value-budget attack (argv[2]) in one execution mode (argv[3]) in this process and
// prints its outcome as JSON: { ok, result } or { ok: false, name, code, found, limit }. A crash
// or a hang shows as this process's exit status, never as the test runner's.
import { createMontyBackend } from '../dist/index.js'

const [attack, execution] = process.argv.slice(2)

function dag(depth) {
  let value = [1]
  for (let i = 0; i < depth; i++) value = [value, value]
  return value
}
function hugeArray() {
  const array = []
  array.length = 2 ** 32 - 1
  return array
}
function lyingProxy() {
  return new Proxy([], { get: (target, key) => (key === 'length' ? 2 ** 32 - 1 : target[key]) })
}
const LEAVES =
  'def leaves(v):\n    return 1 if type(v).__name__ == "int" else sum(leaves(c) for c in v)\nleaves(x)'

const attacks = {
  'input huge array': (b) => b.run('x', { inputs: { x: hugeArray() } }),
  'input lying proxy': (b) => b.run('x', { inputs: { x: lyingProxy() } }),
  'input huge Set size': (b) => b.run('x', { inputs: { x: new Proxy(new Set(), {}) } }),
  'input dag 2**24': (b) => b.run(LEAVES, { inputs: { x: dag(24) } }),
  'input dag 2**8': (b) => b.run(LEAVES, { inputs: { x: dag(8) } }),
  'input bytes budget': (b) => b.run('len(x)', { inputs: { x: 'y'.repeat(2_000_000) } }),
  'external returns dag 2**24': (b) =>
    b.run('x = f()\nleaves(x)'.replace('leaves(x)', LEAVES), { externalFunctions: { f: () => dag(24) } }),
  'external returns huge array': (b) => b.run('f()', { externalFunctions: { f: () => hugeArray() } }),
  'external async returns dag 2**24': (b) => b.run('f()', { externalFunctions: { f: async () => dag(24) } }),
  'external argument over budget': (b) =>
    b.run('try:\n    f(list(range(5000)))\n    r = "sent"\nexcept TypeError:\n    r = "refused"\nr', {
      externalFunctions: { f: () => null },
    }),
  'result bytes budget': (b) => b.run('"y" * 2000000'),
  'result nodes budget': (b) => b.run('list(range(5000))'),
  'result dag 2**24': (b) =>
    b.run('x = [1]\nfor i in range(24):\n    x = [x, x]\nx', { resourceLimits: { maxDurationSecs: 1 } }),
}

const backend = createMontyBackend({
  execution,
  maxValueNodes: attack.includes('budget') ? 1_000 : 1_000_000,
  maxValueBytes: 1_000_000,
})
try {
  const run = await attacks[attack](backend)
  console.log(JSON.stringify({ ok: true, result: run.result }))
} catch (error) {
  console.log(
    JSON.stringify({
      ok: false,
      name: error?.name,
      code: error?.code,
      found: error?.found,
      limit: error?.limit,
      message: String(error?.message),
    }),
  )
}
await backend.close()
process.exit(0)
