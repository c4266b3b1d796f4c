// Loads session state bytes (base64 on stdin) into a fresh backend in this process and prints
// the JSON results of the snippets given as arguments.
import { createMontyBackend } from '../dist/index.js'

let input = ''
for await (const chunk of process.stdin) input += chunk
const backend = createMontyBackend()
await backend.loadState(new Uint8Array(Buffer.from(input, 'base64')))
const results = []
for (const code of process.argv.slice(2)) {
  const run = await backend.run(code)
  results.push(run.result)
}
process.stdout.write(
  JSON.stringify(results, (_key, value) => (typeof value === 'bigint' ? `${value}n` : value)),
)
