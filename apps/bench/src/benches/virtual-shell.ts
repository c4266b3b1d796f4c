import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import type { Sandbox } from '@pyflue/core'
import { createVirtualSandbox, SHELL_POOL_SIZE, SHELL_WORK_LIMITS } from '@pyflue/sandbox-virtual'
import { Bash, ReadWriteFs } from 'just-bash'
import type { Bench, BenchRow } from '../bench-types.js'
import { formatMs, median } from '../stats.js'

/**
 * The virtual sandbox's shell on its worker pool against the in-thread shell it replaced
 * (just-bash's `Bash` over a `ReadWriteFs` of a directory, on the calling thread, as before issue
 * 16): how long the host's event loop stalls while 8 sandboxes each run a 1 s busy loop (beside
 * the stall of an idle second in the same run: the machine's own scheduling noise), the latency of `echo hi`, a `grep` over 100 MB
 * (two 50 MB files: just-bash reads one file of at most 64 MiB at once), and 200 short commands over 16 sandboxes.
 */
const LOOPS = 8
const BUSY_MS = 1000
/** Each of the two files `grep` reads: 100 MB together. */
const GREP_FILE_BYTES = 50 * 1024 * 1024

interface Shell {
  exec(command: string, options?: { timeoutMs?: number }): Promise<{ stdout: string; exitCode: number }>
  close(): Promise<void>
}

async function workerShell(): Promise<Shell> {
  const sandbox: Sandbox = await createVirtualSandbox()
  return {
    exec: (command, options = {}) => sandbox.exec(command, options),
    close: async () => sandbox.close?.(),
  }
}

function inThreadShell(): Shell & { root: string } {
  const root = mkdtempSync(join(tmpdir(), 'pyflue-bench-shell-'))
  const fs = new ReadWriteFs({ root, allowSymlinks: false, maxFileReadSize: 64 * 1024 * 1024 })
  return {
    root,
    exec: (command, options = {}) =>
      new Bash({
        fs,
        cwd: '/',
        // The same work limits as the worker's shell, so both can grep 100 MB.
        executionLimits: {
          ...SHELL_WORK_LIMITS,
          ...(options.timeoutMs === undefined ? {} : { maxExecutionTimeMs: options.timeoutMs }),
        },
      }).exec(command, { rawScript: true }),
    close: async () => rmSync(root, { recursive: true, force: true }),
  }
}

/**
 * The largest event-loop delay while `work` runs, in ms: `monitorEventLoopDelay`'s maximum, and
 * the longest gap between two ticks of a 5 ms interval (which also sees a stall that ends the
 * work, when the histogram's own timer would fire only after it was disabled).
 */
async function maxStall(work: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  histogram.enable()
  let last = performance.now()
  let longest = 0
  const tick = () => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
  }
  const ticker = setInterval(tick, 5)
  await work()
  await new Promise((resolve) => setTimeout(resolve, 10))
  tick()
  clearInterval(ticker)
  histogram.disable()
  return Math.max(histogram.max / 1e6, longest - 5)
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await work()
  return performance.now() - start
}

async function latency(shell: Shell, command: string, samples: number): Promise<number> {
  for (let i = 0; i < Math.ceil(samples / 10); i++) await shell.exec(command)
  const times: number[] = []
  for (let i = 0; i < samples; i++) times.push(await time(() => shell.exec(command)))
  return median(times)
}

const bench: Bench = {
  name: 'virtual-shell',
  async run(): Promise<readonly BenchRow[]> {
    const busy = 'while true; do :; done'
    // 1. Event-loop stall with 8 busy loops.
    const workers = await Promise.all(Array.from({ length: LOOPS }, workerShell))
    const inThread = Array.from({ length: LOOPS }, inThreadShell)
    // Start the pool's workers first: the figure is the steady state, not their start-up.
    await Promise.all(workers.map((s) => s.exec('echo warm')))
    const idleStall = await maxStall(() => new Promise((resolve) => setTimeout(resolve, BUSY_MS)))
    const workerStall = await maxStall(() =>
      Promise.all(workers.map((s) => s.exec(busy, { timeoutMs: BUSY_MS }))),
    )
    const threadStall = await maxStall(() =>
      Promise.all(inThread.map((s) => s.exec(busy, { timeoutMs: BUSY_MS }))),
    )
    // 2. echo latency.
    const echoWorker = await latency(workers[0]!, 'echo hi', 300)
    const echoThread = await latency(inThread[0]!, 'echo hi', 300)
    // 3. grep over 100 MB in two files.
    const line = 'the quick brown fox jumps over the lazy dog 0123456789\n'
    const big = line.repeat(Math.floor(GREP_FILE_BYTES / line.length))
    const grepSandbox = await createVirtualSandbox({ maxOutputSize: 1024 })
    for (const name of ['big1.txt', 'big2.txt']) {
      await grepSandbox.writeFile(name, big)
      writeFileSync(join(inThread[0]!.root, name), big)
    }
    const grepCommand = 'grep -c lazy big1.txt big2.txt'
    const grepWorker: number[] = []
    const grepThread: number[] = []
    // The figure is only worth something when both shells really read both files.
    const expected = Math.floor(GREP_FILE_BYTES / line.length)
    for (const shell of [grepSandbox, inThread[0]!]) {
      const result = await shell.exec(grepCommand)
      if (result.exitCode !== 0 || !result.stdout.includes(`big2.txt:${expected}`)) {
        throw new Error(`grep over 100 MB failed (exit ${result.exitCode}): ${result.stdout.slice(0, 200)}`)
      }
    }
    for (let i = 0; i < 3; i++) {
      grepWorker.push(await time(() => grepSandbox.exec(grepCommand)))
      grepThread.push(await time(() => inThread[0]!.exec(grepCommand)))
    }
    await grepSandbox.close?.()
    // 4. 200 short commands over 16 sandboxes.
    const many = await Promise.all(Array.from({ length: 16 }, workerShell))
    const manyThread = Array.from({ length: 16 }, inThreadShell)
    const burst = (shells: Shell[]) =>
      time(() =>
        Promise.all(
          Array.from({ length: 200 }, (_, i) => shells[i % shells.length]!.exec(`echo ${i} | wc -c`)),
        ),
      )
    await burst(many)
    await burst(manyThread)
    const burstWorker = await burst(many)
    const burstThread = await burst(manyThread)
    for (const s of [...workers, ...inThread, ...many, ...manyThread]) await s.close()
    return [
      {
        name: `max event-loop delay, ${LOOPS} sandboxes × ${BUSY_MS} ms busy loop`,
        value: formatMs(workerStall),
        baseline: `in-thread shell: ${formatMs(threadStall)}`,
        ratio: workerStall / threadStall,
        note: `target max <= 20 ms; pool of ${SHELL_POOL_SIZE} workers`,
      },
      {
        name: `max event-loop delay, ${BUSY_MS} ms with nothing running`,
        value: formatMs(idleStall),
        baseline: `8 busy loops on the pool: ${formatMs(workerStall)}`,
        ratio: idleStall / workerStall,
        note: "the machine's own scheduling noise, in the same run",
      },
      {
        name: "exec('echo hi') latency",
        value: formatMs(echoWorker),
        baseline: `in-thread shell: ${formatMs(echoThread)}`,
        ratio: echoWorker / echoThread,
        note: 'the worker round trip',
      },
      {
        name: `exec('${grepCommand}') over 100 MB`,
        value: formatMs(median(grepWorker)),
        baseline: `in-thread shell: ${formatMs(median(grepThread))}`,
        ratio: median(grepWorker) / median(grepThread),
      },
      {
        name: '200 short commands over 16 sandboxes',
        value: formatMs(burstWorker),
        baseline: `in-thread shell: ${formatMs(burstThread)}`,
        ratio: burstWorker / burstThread,
        note: 'wall time of the whole burst',
      },
    ]
  },
}

export default bench
