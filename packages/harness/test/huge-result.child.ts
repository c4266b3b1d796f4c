// Run by security-output.test.ts in its own Node process with a small heap: formats run_code
// results holding a 200 MB string, 200 MB of bytes and 200 MB of stdout, and reports the sizes of
// the texts and the heap it used, so a host that runs out of memory fails the test instead of
// killing the runner.
import { formatRunFailure, formatRunSuccess } from '@pyflue/core'

const size = Number(process.argv[2] ?? 200_000_000)
const big = 'x'.repeat(size)
const base = { backend: 'monty', durationMs: 1, metadata: {} }
const texts = [
  formatRunSuccess({ ...base, stdout: '', result: big }),
  formatRunSuccess({ ...base, stdout: '', result: [big, { key: big }] }),
  formatRunSuccess({ ...base, stdout: '', result: Buffer.from(big, 'latin1') }),
  formatRunSuccess({ ...base, stdout: big, result: big }),
  formatRunFailure(Object.assign(new Error(big), { stdout: big })),
]
process.stdout.write(
  JSON.stringify({
    lengths: texts.map((text) => text.length),
    heads: texts.map((text) => text.slice(0, 24)),
    heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1e6),
  }),
)
