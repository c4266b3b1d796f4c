/**
 * What pausing a run at a host call costs (issue 14): a run paused at an external call, dumped
 * to bytes and resumed from them (in a second backend holding the same session state, as
 * another process would) against the same run answering the call in place, in both execution
 * modes; and the bytes of a pause whose snippet holds 1 MB of data. Subject and baseline are
 * sampled alternately, so a load change on the machine hits both.
 */
import { performance } from 'node:perf_hooks'
import { createMontyBackend, type MontyBackend } from '@pyflue/backend-monty'
import type { PythonPause } from '@pyflue/core'
import type { Bench, BenchRow } from '../bench-types.js'
import { formatBytes, formatMs, median } from '../stats.js'

const CODE = 'r = approve_refund("A-1", 30)\nr + 1'
const externalFunctions = { approve_refund: (_order: string, amount: number) => amount }

async function timed(step: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await step()
  return performance.now() - start
}

/** Round trip (start → dump → resume elsewhere) against the in-place call, alternately. */
async function roundTrip(
  options: Parameters<typeof createMontyBackend>[0],
  rounds: number,
): Promise<[number, number]> {
  const here = createMontyBackend(options)
  const there = createMontyBackend(options)
  const plain = createMontyBackend(options)
  const backends: MontyBackend[] = [here, there, plain]
  try {
    await there.loadState(await here.dumpState())
    const paused = async () => {
      const pause = (await here.start(CODE, { externalFunctions })) as PythonPause
      const done = await there.resume(pause.dump(), { returnValue: 30 }, { externalFunctions })
      if (done.status !== 'complete' || done.result !== 31) throw new Error('the resumed run went wrong')
    }
    // Untimed: both backends again hold the same state (the resumed run committed `r` in `there`).
    const reload = async () => here.loadState(await there.dumpState())
    const inPlace = async () => {
      const done = await plain.run(CODE, { externalFunctions })
      if (done.result !== 31) throw new Error('the run went wrong')
    }
    const subject: number[] = []
    const baseline: number[] = []
    for (let i = 0; i < rounds + 20; i++) {
      const a = await timed(paused)
      await reload()
      const b = await timed(inPlace)
      if (i < 20) continue
      subject.push(a)
      baseline.push(b)
    }
    return [median(subject), median(baseline)]
  } finally {
    for (const backend of backends) await backend.close()
  }
}

const bench: Bench = {
  name: 'pauses',
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = []
    for (const [label, options] of [
      ['pool', {}],
      ['in-thread', { execution: 'in-thread-trusted-code-only' as const }],
    ] as const) {
      const [paused, inPlace] = await roundTrip(options, 200)
      rows.push({
        name: `${label}: start → pause → dump → resume in another backend (external call)`,
        value: formatMs(paused),
        baseline: `the same call answered in the run: ${formatMs(inPlace)}`,
        ratio: paused / inPlace,
        note: 'includes dumping, re-planning and loading the snapshot (no target)',
      })
    }
    const backend = createMontyBackend()
    try {
      const empty = (await backend.start(CODE, { externalFunctions })) as PythonPause
      const big = (await backend.start(`data = "x" * 1_000_000\nr = approve_refund("A-1", len(data))\nr`, {
        externalFunctions,
      })) as PythonPause
      const bytes = big.dump().length
      rows.push({
        name: 'pause bytes, snippet holding 1 MB of data',
        value: formatBytes(bytes),
        baseline: `a pause holding nothing: ${formatBytes(empty.dump().length)}`,
        ratio: bytes / 1_000_000,
        note: 'ratio against the 1 MB held',
      })
    } finally {
      await backend.close()
    }
    return rows
  },
}

export default bench
