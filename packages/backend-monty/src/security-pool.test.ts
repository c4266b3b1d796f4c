/**
 * Security of the pool: a process that never reports ready is killed and replaced (the run never
 * waits forever, and the wait does not eat its deadline), and pool processes die with their parent even while
 * Monty holds their main thread in a long native operation. The parent's death runs in a child
 * process, so nothing here can leave the runner with a stray process.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ExecutionCrashedError } from '@pyflue/core'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { createMontyPool, type MontyPool } from './monty-pool.js'

const PATIENT = { timeout: 30_000, interval: 50 }
const pools: MontyPool[] = []
function pool(options: Parameters<typeof createMontyPool>[0]): MontyPool {
  const made = createMontyPool(options)
  pools.push(made)
  return made
}
afterAll(async () => {
  for (const made of pools) await made.close()
})

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Starts `run()` and stops (SIGSTOP) the pool process it forks before that process can report
 * ready: the fork happens within the run's first microtasks, long before a Node process boots.
 */
async function withStoppedStart<T>(
  p: MontyPool,
  run: () => Promise<T>,
): Promise<{ run: Promise<T>; pid: number }> {
  const running = run()
  running.catch(() => {})
  for (let i = 0; i < 1000 && p.processIds().length === 0; i++) await Promise.resolve()
  const [pid] = p.processIds()
  expect(pid).toBeGreaterThan(0)
  process.kill(pid!, 'SIGSTOP')
  return { run: running, pid: pid! }
}

describe('pool: a process that never reports ready', () => {
  // startTimeoutMs is generous so that the replacement itself starts in time on a loaded machine.
  it('is killed after startTimeoutMs and replaced; the run completes on a fresh process', async () => {
    const p = pool({ size: 1, startTimeoutMs: 15_000 })
    const backend = createMontyBackend({ pool: p })
    const { run, pid } = await withStoppedStart(p, () =>
      backend.run('21 * 2', { resourceLimits: { maxDurationSecs: 120 } }),
    )
    expect((await run).result).toBe(42)
    expect(p.processIds()).not.toContain(pid)
    expect(p.stats().replaced).toBeGreaterThanOrEqual(1)
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false), PATIENT)
  })

  it('waiting for a start is not charged to the run: a 0.5 s run whose first process hangs 15 s completes', async () => {
    const p = pool({ size: 1, startTimeoutMs: 15_000 })
    const backend = createMontyBackend({ pool: p })
    const { run, pid } = await withStoppedStart(p, () =>
      backend.run('20 + 1', { resourceLimits: { maxDurationSecs: 0.5 } }),
    )
    expect((await run).result).toBe(21)
    expect(p.stats().replaced).toBeGreaterThanOrEqual(1)
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false), PATIENT)
  })

  it('an abort ends the wait for a start that never ends', async () => {
    const p = pool({ size: 1, startTimeoutMs: 600_000 })
    const backend = createMontyBackend({ pool: p })
    const controller = new AbortController()
    const { run, pid } = await withStoppedStart(p, () =>
      backend.run('1', { resourceLimits: { maxDurationSecs: 0.5 }, signal: controller.signal }),
    )
    controller.abort()
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
    await p.close()
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false), PATIENT)
  })

  it('gives up with ExecutionCrashedError after three processes in a row never start', async () => {
    const p = pool({ size: 1, startTimeoutMs: 1 })
    const backend = createMontyBackend({ pool: p })
    // 1 ms is less than any Node process needs to boot: every start times out.
    await expect(backend.run('1', { resourceLimits: { maxDurationSecs: 120 } })).rejects.toBeInstanceOf(
      ExecutionCrashedError,
    )
    expect(p.stats().replaced).toBe(3)
  })
})

describe('pool: native operations cannot take the host down', () => {
  // While the other packages' suites keep both cores busy, a start can take longer than the
  // default 10 s start timeout. These tests are about the run, not the start.
  const SLOW_START = { size: 1, startTimeoutMs: 60_000 }
  it('json.dumps of a 100 000-deep list crashes only its pool process (ExecutionCrashedError)', async () => {
    const p = pool(SLOW_START)
    const backend = createMontyBackend({ pool: p })
    await backend.run('kept = 1')
    await expect(
      backend.run('import json\nx = []\nfor i in range(100000):\n    x = [x]\nlen(json.dumps(x))', {
        resourceLimits: { maxDurationSecs: 120 },
      }),
    ).rejects.toBeInstanceOf(ExecutionCrashedError)
    expect((await backend.run('kept + 1')).result).toBe(2)
  }, 240_000)

  it('10 ** (10 ** 8) under a 1 s limit is a maxDurationSecs error (the process is killed)', async () => {
    const p = pool(SLOW_START)
    const backend = createMontyBackend({ pool: p })
    await expect(
      backend.run('x = 10 ** (10 ** 8)\n1', { resourceLimits: { maxDurationSecs: 1 } }),
    ).rejects.toMatchObject({ code: 'RESOURCE_LIMIT', limit: 'maxDurationSecs' })
    expect((await backend.run('2 + 2')).result).toBe(4)
  }, 240_000)
})

describe('pool: processes die with their parent', () => {
  it('a process inside a long native operation (10 ** (10 ** 8)) dies when its parent is killed', async () => {
    const script = `
      import { createMontyBackend, createMontyPool } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)}
      const pool = createMontyPool({ size: 1 })
      const backend = createMontyBackend({ pool })
      backend.run('started()\\nx = 10 ** (10 ** 8)\\n1', {
        resourceLimits: { maxDurationSecs: 600 },
        externalFunctions: {
          started: () => {
            process.stdout.write(String(pool.processIds()[0]) + '\\n')
            // Let the process enter the native operation, then die without any cleanup.
            setTimeout(() => process.kill(process.pid, 'SIGKILL'), 500)
          },
        },
      })
    `
    const child = promisify(execFile)(process.execPath, ['--input-type=module', '-e', script])
    const error = await child.then(
      () => undefined,
      (e: { stdout: string; signal: string }) => e,
    )
    expect(error?.signal).toBe('SIGKILL')
    const pid = Number(error!.stdout.trim())
    expect(pid).toBeGreaterThan(0)
    try {
      await vi.waitFor(() => expect(isAlive(pid)).toBe(false), PATIENT)
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    }
  })
})
