import { availableParallelism } from 'node:os'
import {
  ClosedError,
  createAbortError,
  ExecutionCrashedError,
  type HostDirectoryMount,
  InvalidArgumentError,
  PythonSyntaxError,
  refuseUnknownKeys,
} from '@pyflue/core'
import type { Execution, ExecutionRequest, Executor } from './execution.js'
import { poolExecution } from './pool-execution.js'
import { PoolProcess } from './pool-process.js'
import type { FromRunner, ToRunner } from './pool-protocol.js'
import { durationError, type RunClock } from './run-limits.js'

/** Options of `createMontyPool`. */
export interface MontyPoolOptions {
  /** Most processes alive at once (runs beyond it wait their turn). Default `min(max(2, cores), 16)`. */
  size?: number
  /** An idle process exits after this many milliseconds. Default 30 000. */
  idleTimeoutMs?: number
  /** Cap on each process's V8 heap (`--max-old-space-size`), in MiB. Default 512. */
  maxHeapMb?: number
  /**
   * The processes' scheduling niceness (`os.setPriority`, 0 to 19): higher yields the CPU to the
   * host first, so a busy snippet delays the host's event loop less. A process starts at the
   * host's priority (so a loaded host cannot starve its start past `startTimeoutMs`) and takes
   * this one once it is ready, before it runs any Python. Default 10.
   */
  niceness?: number
  /**
   * A process that has not reported ready this many milliseconds after it was started is killed
   * and replaced (a run waiting for it gets a fresh one; three in a row is
   * `ExecutionCrashedError`). The time a run waits for a start is not counted against its
   * `maxDurationSecs`. Default 10 000.
   */
  startTimeoutMs?: number
}

/** What a pool is doing right now, and what it has done. */
export interface MontyPoolStats {
  readonly size: number
  /** Processes alive (idle, busy or starting). */
  readonly live: number
  readonly idle: number
  /** Processes held by a run. */
  readonly busy: number
  /** Runs waiting for a process. */
  readonly waiting: number
  /** Processes started since the pool was made. */
  readonly started: number
  /** Processes killed by the pool (abort, deadline, close) or found dead. */
  readonly replaced: number
}

export const DEFAULT_POOL_IDLE_TIMEOUT_MS = 30_000
export const DEFAULT_POOL_MAX_HEAP_MB = 512
export const DEFAULT_POOL_NICENESS = 10
export const DEFAULT_POOL_START_TIMEOUT_MS = 10_000
/** How many processes one run starts, at most, before it gives up on the pool. */
const MAX_START_ATTEMPTS = 3

/** The default pool size for this machine: one process per core, at least 2, at most 16. */
export function defaultPoolSize(): number {
  return Math.min(Math.max(2, availableParallelism()), 16)
}

/**
 * A pool of child processes that execute Monty programs off the caller's thread. The session
 * namespace stays in the calling process; a process holds nothing between runs, so killing one
 * (abort, deadline, crash, memory) loses no session state. Processes are `unref`'d: an idle pool
 * never keeps Node alive, and an idle process exits after `idleTimeoutMs`.
 */
export class MontyPool implements Executor {
  readonly size: number
  readonly idleTimeoutMs: number
  readonly maxHeapMb: number
  readonly niceness: number
  readonly startTimeoutMs: number
  readonly #live = new Set<PoolProcess>()
  readonly #idle: PoolProcess[] = []
  readonly #waiters: { give: (proc: PoolProcess) => void; fail: (error: unknown) => void }[] = []
  #started = 0
  #replaced = 0
  #closed = false

  constructor(options: MontyPoolOptions = {}) {
    refuseUnknownKeys(
      options,
      [
        'size',
        'idleTimeoutMs',
        'maxHeapMb',
        'niceness',
        'startTimeoutMs',
      ] satisfies (keyof MontyPoolOptions)[],
      'createMontyPool options',
    )
    const positiveInteger = (value: unknown, name: string, fallback: number) => {
      if (value === undefined) return fallback
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new InvalidArgumentError(name, `${name} must be a positive integer; got ${String(value)}.`)
      }
      return value
    }
    this.size = positiveInteger(options.size, 'size', defaultPoolSize())
    this.idleTimeoutMs = positiveInteger(options.idleTimeoutMs, 'idleTimeoutMs', DEFAULT_POOL_IDLE_TIMEOUT_MS)
    this.maxHeapMb = positiveInteger(options.maxHeapMb, 'maxHeapMb', DEFAULT_POOL_MAX_HEAP_MB)
    this.startTimeoutMs = positiveInteger(
      options.startTimeoutMs,
      'startTimeoutMs',
      DEFAULT_POOL_START_TIMEOUT_MS,
    )
    const niceness = options.niceness ?? DEFAULT_POOL_NICENESS
    if (typeof niceness !== 'number' || !Number.isInteger(niceness) || niceness < 0 || niceness > 19) {
      throw new InvalidArgumentError(
        'niceness',
        `niceness must be an integer from 0 to 19; got ${String(niceness)}.`,
      )
    }
    this.niceness = niceness
  }

  get closed(): boolean {
    return this.#closed
  }

  stats(): MontyPoolStats {
    const idle = this.#idle.length
    return {
      size: this.size,
      live: this.#live.size,
      idle,
      busy: this.#live.size - idle,
      waiting: this.#waiters.length,
      started: this.#started,
      replaced: this.#replaced,
    }
  }

  /** The process ids of the live processes (for monitoring and tests). */
  processIds(): number[] {
    return [...this.#live].map((proc) => proc.pid)
  }

  /** Starts processes up to `count` (default: the pool size) so the first runs do not wait. */
  async warm(count = this.size): Promise<void> {
    this.#checkOpen()
    const started: PoolProcess[] = []
    while (this.#live.size < Math.min(count, this.size)) {
      const proc = this.#spawn()
      started.push(proc)
      this.#park(proc)
    }
    await Promise.all(started.map((proc) => proc.ready.catch(() => {})))
  }

  /** Kills every process; runs in progress reject with `ClosedError`; the pool cannot be used again. */
  async close(): Promise<void> {
    this.#closed = true
    for (const waiter of this.#waiters.splice(0)) waiter.fail(new ClosedError('Monty pool'))
    for (const proc of [...this.#live]) this.#discard(proc, new ClosedError('Monty pool'))
  }

  /**
   * Waits for a free process (or starts one and waits until it is ready) and returns an
   * execution on it for one run.
   */
  async execution(
    request: ExecutionRequest,
    mounts: readonly HostDirectoryMount[],
    signal?: AbortSignal,
  ): Promise<Execution> {
    const proc = await this.#readyProcess(request.clock, signal)
    return poolExecution(proc, request, mounts, {
      discard: (p, reason) => this.#discard(p, reason),
      release: (p) => this.#release(p),
    })
  }

  /**
   * Runs one task that is not a program (a snippet's analysis, a type check) in a pool process,
   * under the run's deadline and signal: past the deadline or on abort the process is killed.
   * A process that dies under it rejects with `ExecutionCrashedError`.
   */
  async task<K extends 'analysis' | 'typechecked'>(
    message: Extract<ToRunner, { type: 'analyze' | 'typecheck' }>,
    reply: K,
    limits: Record<string, number>,
    clock: RunClock,
    signal?: AbortSignal,
  ): Promise<Extract<FromRunner, { type: K }>> {
    const proc = await this.#readyProcess(clock, signal)
    const expired = () =>
      durationError(
        limits.maxDurationSecs,
        `the deadline passed during the snippet's ${reply === 'analysis' ? 'analysis' : 'type check'}`,
      )
    const timer = setTimeout(() => this.#discard(proc, expired()), Math.max(0, clock.deadline - Date.now()))
    timer.unref()
    const onAbort = () => this.#discard(proc, createAbortError(signal))
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const answer = await proc.request(message, limits)
      if (answer.type === 'error') {
        throw answer.typeName === 'RangeError'
          ? new PythonSyntaxError({ message: `the snippet nests too deeply to analyse (${answer.message})` })
          : new ExecutionCrashedError({
              exitCode: null,
              signal: null,
              message: `A pool process failed a task: ${answer.message}`,
            })
      }
      if (answer.type !== reply)
        throw new Error(`Unexpected message from a Monty pool process: ${answer.type}`)
      return answer as Extract<FromRunner, { type: K }>
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      if (!proc.busy) this.#release(proc)
    }
  }

  /**
   * A ready process for one run. The time spent waiting for it (a free process, or a fresh one's
   * start) is given back to the run's clock: the deadline measures the run, not the machine's
   * load. The wait is bounded by `startTimeoutMs` per start (a process not ready by then is
   * killed and replaced; three in a row is `ExecutionCrashedError`), by the runs ahead (each
   * under its own deadline) and by the signal.
   */
  async #readyProcess(clock: RunClock, signal: AbortSignal | undefined): Promise<PoolProcess> {
    const waitStarted = Date.now()
    for (let attempt = 1; ; attempt++) {
      const proc = await this.#acquire(signal)
      if (await this.#whenReady(proc, signal)) {
        clock.giveBack(Date.now() - waitStarted)
        return proc
      }
      this.#discard(proc, undefined)
      if (attempt >= MAX_START_ATTEMPTS) {
        throw new ExecutionCrashedError({
          exitCode: null,
          signal: 'SIGKILL',
          message: `${attempt} pool processes in a row did not report ready within startTimeoutMs (${this.startTimeoutMs} ms); each was killed.`,
        })
      }
    }
  }

  /**
   * Waits for `proc` to report ready: true when it did, false when its start timeout (counted
   * from its start) passed first. Rejects on abort (the process stays for the next run) and
   * when the process dies while starting.
   */
  #whenReady(proc: PoolProcess, signal: AbortSignal | undefined): Promise<boolean> {
    if (proc.isReady) return Promise.resolve(true)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(() => resolve(false)),
        Math.max(0, proc.startedAt + this.startTimeoutMs - Date.now()),
      )
      const onAbort = () =>
        finish(() => {
          this.#release(proc)
          reject(createAbortError(signal))
        })
      let done = false
      const finish = (settle: () => void) => {
        if (done) return
        done = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        settle()
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      proc.ready.then(
        () => finish(() => resolve(true)),
        (error: unknown) => finish(() => reject(error)),
      )
    })
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('Monty pool')
  }

  #spawn(): PoolProcess {
    const proc = new PoolProcess(this.maxHeapMb, this.niceness, (ended) => this.#ended(ended))
    this.#live.add(proc)
    this.#started++
    return proc
  }

  #acquire(signal: AbortSignal | undefined): Promise<PoolProcess> {
    this.#checkOpen()
    if (signal?.aborted) return Promise.reject(createAbortError(signal))
    const idle = this.#idle.pop()
    if (idle) {
      clearTimeout(idle.idleTimer)
      return Promise.resolve(idle)
    }
    if (this.#live.size < this.size) return Promise.resolve(this.#spawn())
    return new Promise<PoolProcess>((resolve, reject) => {
      const leave = (error: unknown) => {
        const index = this.#waiters.indexOf(waiter)
        if (index >= 0) this.#waiters.splice(index, 1)
        waiter.fail(error)
      }
      const onAbort = () => leave(createAbortError(signal))
      const waiter = {
        give: (proc: PoolProcess) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(proc)
        },
        fail: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort)
          reject(error)
        },
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  /** A run is done with a healthy process: hand it to the next waiter or park it. */
  #release(proc: PoolProcess): void {
    if (proc.ended || !this.#live.has(proc)) return
    const waiter = this.#waiters.shift()
    if (waiter) waiter.give(proc)
    else this.#park(proc)
  }

  #park(proc: PoolProcess): void {
    this.#idle.push(proc)
    proc.idleTimer = setTimeout(() => this.#discard(proc, undefined, false), this.idleTimeoutMs)
    proc.idleTimer.unref()
  }

  /** Kills a process and frees its slot at once (a waiter gets a fresh process). */
  #discard(proc: PoolProcess, reason: unknown, replaced = true): void {
    if (!this.#live.delete(proc)) return
    clearTimeout(proc.idleTimer)
    const index = this.#idle.indexOf(proc)
    if (index >= 0) this.#idle.splice(index, 1)
    if (replaced) this.#replaced++
    proc.kill(reason)
    this.#serveWaiter()
  }

  #ended(proc: PoolProcess): void {
    if (this.#live.has(proc)) {
      // Died by itself (crash, out of memory, killed from outside).
      this.#live.delete(proc)
      clearTimeout(proc.idleTimer)
      const index = this.#idle.indexOf(proc)
      if (index >= 0) this.#idle.splice(index, 1)
      this.#replaced++
    }
    this.#serveWaiter()
  }

  #serveWaiter(): void {
    if (this.#closed || this.#waiters.length === 0 || this.#live.size >= this.size) return
    this.#waiters.shift()!.give(this.#spawn())
  }
}

/** Makes a pool of its own (for isolation between parts of an application, or other limits). */
export function createMontyPool(options: MontyPoolOptions = {}): MontyPool {
  return new MontyPool(options)
}

let shared: MontyPool | undefined

/** The process-wide pool every backend uses unless given one (made with defaults when first used). */
export function sharedMontyPool(): MontyPool {
  if (!shared || shared.closed) shared = new MontyPool()
  return shared
}
