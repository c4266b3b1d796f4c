/**
 * The larger run of issue 12's differential property (backend-monty's
 * `value-survival.property.test.ts`): random snippet sequences must leave the same values, types
 * and sharing as N runs, as N runs with dump/load between them, and as one program. CI runs 40
 * cases per mode with a fixed seed; here 10× as many, with another seed, through vitest.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Bench, BenchRow } from '../bench-types.js'
import { formatMs } from '../stats.js'

const RUNS = 400
const SEED = 20261204
const pkg = fileURLToPath(new URL('../../../../packages/backend-monty', import.meta.url))

const bench: Bench = {
  name: 'value-survival',
  async run(): Promise<BenchRow[]> {
    const started = performance.now()
    let failed = 0
    let detail = ''
    try {
      await promisify(execFile)(
        process.execPath,
        [
          fileURLToPath(new URL('../../../../node_modules/vitest/vitest.mjs', import.meta.url)),
          'run',
          'src/value-survival.property.test.ts',
        ],
        {
          cwd: pkg,
          env: { ...process.env, PYFLUE_PROPERTY_RUNS: String(RUNS), PYFLUE_PROPERTY_SEED: String(SEED) },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 1_800_000,
        },
      )
    } catch (error) {
      failed = 1
      detail =
        String((error as { stdout?: string }).stdout ?? error)
          .split('\n')
          .find((l) => /Counterexample|seed/.test(l)) ?? ''
    }
    const elapsed = performance.now() - started
    return [
      {
        name: `differential property, ${RUNS} sequences per mode (in-thread, pool: a quarter), seed ${SEED}`,
        value: failed === 0 ? 'every sequence agreed' : `a counterexample: ${detail}`,
        baseline: `CI: 40 per mode, seed 20261203 (this run took ${formatMs(elapsed)})`,
        ratio: failed,
        note: '0 = no mismatch found',
      },
    ]
  },
}

export default bench
