import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { getPriority } from 'node:os'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { createMontyPool, defaultPoolSize, type MontyPool } from './monty-pool.js'

/** vi.waitFor gives up after 1 s by default; a loaded machine may take longer to reap a process. */
const PATIENT = { timeout: 30_000, interval: 20 }
const pools: MontyPool[] = []
function pool(options: Parameters<typeof createMontyPool>[0] = {}): MontyPool {
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

/** Settles to 'pending' when `promise` has not settled by the time the event loop turns over. */
async function stateOf(promise: Promise<unknown>): Promise<'pending' | 'settled'> {
  let settled = false
  promise.then(
    () => {
      settled = true
    },
    () => {
      settled = true
    },
  )
  await new Promise((resolve) => setTimeout(resolve, 0))
  return settled ? 'settled' : 'pending'
}

/**
 * `started` resolves once the snippet has called `started()` and the engine has sent the answer
 * back (the microtasks that send it finish before the next timer): from then on the snippet is
 * executing in its process.
 */
function startedSignal() {
  let resolve!: () => void
  const called = new Promise<void>((r) => {
    resolve = r
  })
  const started = called.then(() => new Promise((r) => setTimeout(r, 0)))
  return { started, externalFunctions: { started: () => resolve() } }
}

describe('pool: niceness', () => {
  it('a ready process runs at the host priority plus its niceness', async () => {
    const p = pool({ size: 1, niceness: 5 })
    const backend = createMontyBackend({ pool: p })
    expect((await backend.run('6 * 7')).result).toBe(42)
    const [pid] = p.processIds()
    // Lowering a priority is always permitted; the host's own priority is the base.
    expect(getPriority(pid!)).toBe(Math.min(19, getPriority() + 5))
  })

  it('niceness 0 leaves the process at the host priority', async () => {
    const p = pool({ size: 1, niceness: 0 })
    const backend = createMontyBackend({ pool: p })
    expect((await backend.run('1 + 1')).result).toBe(2)
    const [pid] = p.processIds()
    expect(getPriority(pid!)).toBe(getPriority())
  })
})

describe('pool: abort kills the process', () => {
  it('aborting a busy loop rejects with AbortError, kills its process, and keeps earlier state', async () => {
    const p = pool({ size: 1 })
    const backend = createMontyBackend({ pool: p })
    await backend.run('kept = 1')
    const [pid] = p.processIds()
    expect(isAlive(pid!)).toBe(true)
    const controller = new AbortController()
    const { started, externalFunctions } = startedSignal()
    const running = backend.run('kept = 2\nstarted()\nwhile True:\n    pass', {
      signal: controller.signal,
      externalFunctions,
      resourceLimits: { maxDurationSecs: 60 },
    })
    await started
    controller.abort()
    await expect(running).rejects.toMatchObject({ name: 'AbortError' })
    expect(p.stats().replaced).toBe(1)
    await vi.waitFor(() => expect(isAlive(pid!)).toBe(false), PATIENT)
    expect((await backend.run('kept')).result).toBe(1)
    expect(p.processIds()).not.toContain(pid)
  })

  it('an abort while waiting for a free process rejects and leaves the queue', async () => {
    const p = pool({ size: 1 })
    const stuck = createMontyBackend({ pool: p })
    const waiting = createMontyBackend({ pool: p })
    const stopStuck = new AbortController()
    const { started, externalFunctions } = startedSignal()
    const loop = stuck.run('started()\nwhile True:\n    pass', {
      signal: stopStuck.signal,
      externalFunctions,
      resourceLimits: { maxDurationSecs: 60 },
    })
    await started
    const controller = new AbortController()
    const queued = waiting.run('1', { signal: controller.signal })
    await vi.waitFor(() => expect(p.stats().waiting).toBe(1), PATIENT)
    controller.abort()
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' })
    expect(p.stats().waiting).toBe(0)
    stopStuck.abort()
    await expect(loop).rejects.toMatchObject({ name: 'AbortError' })
    expect((await waiting.run('2 + 2')).result).toBe(4)
  })

  it('closing a backend stops its running snippet and frees the process', async () => {
    const p = pool({ size: 1 })
    const backend = createMontyBackend({ pool: p })
    const { started, externalFunctions } = startedSignal()
    const running = backend.run('started()\nwhile True:\n    pass', {
      externalFunctions,
      resourceLimits: { maxDurationSecs: 60 },
    })
    await started
    await backend.close()
    await expect(running).rejects.toMatchObject({ code: 'CLOSED' })
    expect((await createMontyBackend({ pool: p }).run('3')).result).toBe(3)
  })
})

describe('pool: crashes lose no state', () => {
  it('a process killed while idle is replaced and the next run sees the committed state', async () => {
    const p = pool({ size: 1 })
    const backend = createMontyBackend({ pool: p })
    await backend.run('kept = [1, 2]\ndef total():\n    return sum(kept)')
    const [pid] = p.processIds()
    process.kill(pid!, 'SIGKILL')
    await vi.waitFor(() => expect(p.stats().live).toBe(0), PATIENT)
    expect((await backend.run('kept.append(3)\ntotal()')).result).toBe(6)
    expect(p.processIds()).not.toContain(pid)
  })

  it('a process killed while running rejects that run with ExecutionCrashedError; state and the next run are fine', async () => {
    const p = pool({ size: 1 })
    const backend = createMontyBackend({ pool: p })
    await backend.run('kept = 1')
    const { started, externalFunctions } = startedSignal()
    const running = backend.run('kept = 2\nstarted()\nwhile True:\n    pass', {
      externalFunctions,
      resourceLimits: { maxDurationSecs: 60 },
    })
    await started
    process.kill(p.processIds()[0]!, 'SIGKILL')
    await expect(running).rejects.toMatchObject({
      name: 'ExecutionCrashedError',
      code: 'EXECUTION_CRASHED',
      signal: 'SIGKILL',
    })
    expect((await backend.run('kept + 1')).result).toBe(2)
    expect(p.stats()).toMatchObject({ replaced: 1, live: 1 })
  })

  it('a run that exhausts its process heap is a ResourceLimitError (maxMemory) and the session keeps its state', async () => {
    const p = pool({ size: 1, maxHeapMb: 32 })
    // A value budget this large lets the heap, not the budget, end the run.
    const backend = createMontyBackend({ pool: p, maxValueNodes: 100_000_000 })
    await backend.run('kept = "before"')
    const error = await backend
      // 100 MB of text handed back cannot fit a 32 MB heap; one value, so the conversion (not a
      // walk over millions of elements) is what fails, at once, however loaded the machine is.
      .run("big = 'x' * 100_000_000\nbig", {
        // Only the heap may end this run, however loaded the machine is.
        resourceLimits: { maxMemory: 2 ** 31, maxDurationSecs: 120 },
      })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'ResourceLimitError', code: 'RESOURCE_LIMIT', limit: 'maxMemory' })
    expect((await backend.run('kept')).result).toBe('before')
    expect(p.stats().replaced).toBe(1)
  }, 240_000)

  it('the deadline kills a process stuck in one long native operation', async () => {
    const p = pool({ size: 1 })
    const backend = createMontyBackend({ pool: p })
    await backend.run('kept = 1')
    await expect(
      backend.run('x = 2 ** 100000000\nkept = 2', { resourceLimits: { maxDurationSecs: 0.2 } }),
    ).rejects.toMatchObject({ code: 'RESOURCE_LIMIT', limit: 'maxDurationSecs' })
    expect((await backend.run('kept')).result).toBe(1)
  })
})

describe('pool: concurrency', () => {
  it('another session runs to completion, and timers fire, while one session is stuck in a loop', async () => {
    const p = pool({ size: 2 })
    const stuck = createMontyBackend({ pool: p })
    const other = createMontyBackend({ pool: p })
    const controller = new AbortController()
    const { started, externalFunctions } = startedSignal()
    const loop = stuck.run('started()\nwhile True:\n    pass', {
      signal: controller.signal,
      externalFunctions,
      resourceLimits: { maxDurationSecs: 60 },
    })
    await started
    await other.run('n = 0')
    for (let i = 0; i < 20; i++) await other.run('n += 1')
    expect((await other.run('n')).result).toBe(20)
    expect(await stateOf(loop)).toBe('pending')
    controller.abort()
    await expect(loop).rejects.toMatchObject({ name: 'AbortError' })
  })

  it("one session's runs stay in call order while many sessions share the pool", async () => {
    const p = pool({ size: 2 })
    const sessions = Array.from({ length: 6 }, () => createMontyBackend({ pool: p }))
    await Promise.all(sessions.map((s) => s.run('log = []')))
    await Promise.all(
      sessions.flatMap((s, k) => Array.from({ length: 5 }, (_, i) => s.run(`log.append(${k * 10 + i})`))),
    )
    const logs = await Promise.all(sessions.map(async (s) => (await s.run('log')).result))
    logs.forEach((log, k) => {
      expect(log).toEqual([0, 1, 2, 3, 4].map((i) => k * 10 + i))
    })
    expect(p.stats().started).toBeLessThanOrEqual(2)
  })
})

describe('pool: lifecycle and options', () => {
  it('an idle process exits after idleTimeoutMs and the pool starts another when needed', async () => {
    const p = pool({ size: 1, idleTimeoutMs: 20 })
    const backend = createMontyBackend({ pool: p })
    await backend.run('kept = 7')
    const [pid] = p.processIds()
    await vi.waitFor(() => expect(p.stats().live).toBe(0), PATIENT)
    await vi.waitFor(() => expect(isAlive(pid!)).toBe(false), PATIENT)
    expect((await backend.run('kept')).result).toBe(7)
  })

  it('an idle pool does not keep Node alive', async () => {
    const script = `
      const { createMontyBackend } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)})
      const backend = createMontyBackend()
      console.log((await backend.run('6 * 7')).result)
    `
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script])
    expect(stdout.trim()).toBe('42')
  })

  it('warm() starts the processes; close() ends them and refuses later use', async () => {
    const p = pool({ size: 2 })
    await p.warm()
    const pids = p.processIds()
    expect(pids).toHaveLength(2)
    expect(p.stats()).toMatchObject({ live: 2, idle: 2, busy: 0 })
    await p.close()
    await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]), PATIENT)
    await expect(createMontyBackend({ pool: p }).run('1')).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('refuses bad options with InvalidArgumentError', () => {
    expect(() => createMontyPool({ size: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => createMontyPool({ idleTimeoutMs: -1 })).toThrow(
      expect.objectContaining({ argument: 'idleTimeoutMs' }),
    )
    expect(() => createMontyBackend({ execution: 'thread' as never })).toThrow(
      expect.objectContaining({ argument: 'execution' }),
    )
    expect(() => createMontyBackend({ execution: 'in-thread-trusted-code-only', pool: pool() })).toThrow(
      expect.objectContaining({ argument: 'pool' }),
    )
    expect(() => createMontyBackend({ pool: {} as never })).toThrow(
      expect.objectContaining({ argument: 'pool' }),
    )
  })

  it('a pool process gets none of the host environment', async () => {
    process.env.PYFLUE_TEST_SECRET = 'do-not-leak'
    try {
      const p = pool({ size: 1 })
      await p.warm()
      const [pid] = p.processIds()
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
      expect(environ).not.toContain('PYFLUE_TEST_SECRET')
      expect(environ).not.toContain('PATH=')
    } finally {
      delete process.env.PYFLUE_TEST_SECRET
    }
  })

  it('the default size is between 2 and 16', () => {
    expect(defaultPoolSize()).toBeGreaterThanOrEqual(2)
    expect(defaultPoolSize()).toBeLessThanOrEqual(16)
  })
})
