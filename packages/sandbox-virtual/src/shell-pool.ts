/**
 * The pool of shell workers every virtual sandbox of this process shares. A command waits for a
 * free worker (at most `SHELL_POOL_SIZE` run at once, each on its own thread), runs there, and is
 * stopped by terminating its worker (deadline, abort, close); a terminated or crashed worker is
 * replaced by a new one when next needed. Idle workers do not keep the process alive.
 */
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { ShellResult } from '@pyflue/core'
import type { FromWorker, ShellJob, ToWorker } from './shell-protocol.js'
import type { WorkspaceLimits } from './workspace-limits.js'

/** Workers in the pool: one per core, at least 2, at most 8. */
export const SHELL_POOL_SIZE = Math.min(Math.max(2, availableParallelism()), 8)

/** The default heap of one shell worker (V8 old generation), MiB; past it the command ends with exit 137. */
export const DEFAULT_SHELL_MEMORY_MB = 512

/** How long past its deadline a command that never yields runs before its worker is terminated. */
export const SHELL_KILL_GRACE_MS = 50

// Under vitest this file runs from `src/*.ts`; the worker is always the built `dist/shell-worker.js`.
const WORKER_PATH = fileURLToPath(
  import.meta.url.endsWith('.ts')
    ? new URL('../dist/shell-worker.js', import.meta.url)
    : new URL('./shell-worker.js', import.meta.url),
)

/** How a command ended, as the pool saw it. */
export type ShellOutcome =
  | { kind: 'done'; result: ShellResult; timedOut: boolean }
  /** The deadline passed and the worker did not finish: it was terminated. */
  | { kind: 'killed-at-deadline' }
  | { kind: 'out-of-memory' }
  | { kind: 'crashed'; message: string }

/** One submitted command: its outcome, and `stop()` (abort, close), which terminates its worker. */
export interface ShellRun {
  readonly outcome: Promise<ShellOutcome>
  stop(): void
}

interface Pending {
  job: ShellJob
  memoryMb: number
  /** Absolute deadline (`Date.now()` ms), if any, and the `timeoutMs` it came from. */
  deadline: number | undefined
  timeoutMs: number | undefined
  limits: WorkspaceLimits
  settle(outcome: ShellOutcome): void
  stopped: boolean
  worker?: PoolWorker
}

class PoolWorker {
  readonly worker: Worker
  current: Pending | undefined
  #release: (() => void) | undefined
  #killTimer: ReturnType<typeof setTimeout> | undefined
  #gone = false

  constructor(
    readonly pool: ShellPool,
    readonly memoryMb: number,
  ) {
    this.worker = new Worker(WORKER_PATH, {
      resourceLimits: {
        maxOldGenerationSizeMb: memoryMb,
        maxYoungGenerationSizeMb: Math.min(32, memoryMb / 4),
      },
      // The worker's `process.env` is empty: no host variable reaches the shell's thread.
      env: {},
    })
    this.worker.unref()
    this.worker.on('message', (message: FromWorker) => this.#onMessage(message))
    this.worker.on('error', (error: Error & { code?: string }) =>
      this.#end(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { kind: 'out-of-memory' }
          : { kind: 'crashed', message: error.message.split('\n')[0] ?? 'worker error' },
      ),
    )
    this.worker.on('exit', () => this.#end({ kind: 'crashed', message: 'the shell worker exited' }))
  }

  start(pending: Pending): void {
    this.current = pending
    pending.worker = this
    this.worker.ref()
    const remaining = pending.deadline === undefined ? undefined : Math.max(0, pending.deadline - Date.now())
    if (remaining !== undefined) {
      this.#killTimer = setTimeout(
        () => this.kill({ kind: 'killed-at-deadline' }),
        remaining + SHELL_KILL_GRACE_MS,
      )
    }
    let job = pending.job
    if (remaining !== undefined) {
      // A job that did not wait keeps its caller's deadline for just-bash (within 10 ms).
      const shellDeadlineMs =
        pending.timeoutMs !== undefined && remaining >= pending.timeoutMs - 10 ? pending.timeoutMs : remaining
      job = { ...job, timeoutMs: remaining, shellDeadlineMs: Math.max(1, Math.ceil(shellDeadlineMs)) }
    }
    this.#post({ type: 'run', job })
  }

  /** Terminates the worker; the current command ends with `outcome`. */
  kill(outcome: ShellOutcome): void {
    this.#end(outcome)
    void this.worker.terminate()
  }

  #onMessage(message: FromWorker): void {
    const pending = this.current
    if (!pending) return
    switch (message.type) {
      case 'lock':
        void pending.limits.exclusive(async () => {
          const usage = await pending.limits.usage()
          await new Promise<void>((release) => {
            this.#release = release
            if (this.#gone) release()
            else this.#post({ type: 'locked', usage: { ...usage } })
          })
        })
        return
      case 'unlock':
        pending.limits.applyDelta(message.delta)
        this.#unlock()
        return
      case 'invalidate':
        pending.limits.invalidate()
        return
      case 'done':
        clearTimeout(this.#killTimer)
        this.current = undefined
        this.worker.unref()
        pending.settle({ kind: 'done', result: message.result, timedOut: message.timedOut })
        this.pool.idle(this)
        return
    }
  }

  #unlock(): void {
    const release = this.#release
    this.#release = undefined
    release?.()
  }

  /** The worker is gone (or going): release what it held, end its command, leave the pool. */
  #end(outcome: ShellOutcome): void {
    if (this.#gone) return
    this.#gone = true
    clearTimeout(this.#killTimer)
    const pending = this.current
    this.current = undefined
    if (this.#release) {
      pending?.limits.applyDelta(undefined)
      this.#unlock()
    }
    this.pool.gone(this)
    pending?.settle(outcome)
  }

  #post(message: ToWorker): void {
    this.worker.postMessage(message)
  }
}

class ShellPool {
  readonly #size: number
  readonly #workers = new Set<PoolWorker>()
  readonly #idle: PoolWorker[] = []
  readonly #queue: Pending[] = []

  constructor(size: number) {
    this.#size = size
  }

  submit(job: ShellJob, limits: WorkspaceLimits, timeoutMs: number | undefined, memoryMb: number): ShellRun {
    let settle!: (outcome: ShellOutcome) => void
    const outcome = new Promise<ShellOutcome>((resolve) => {
      settle = resolve
    })
    let settled = false
    const pending: Pending = {
      job,
      memoryMb,
      limits,
      deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
      timeoutMs,
      stopped: false,
      settle: (result) => {
        if (settled) return
        settled = true
        settle(result)
      },
    }
    this.#queue.push(pending)
    this.#dispatch()
    return {
      outcome,
      stop: () => {
        if (settled || pending.stopped) return
        pending.stopped = true
        const index = this.#queue.indexOf(pending)
        if (index >= 0) this.#queue.splice(index, 1)
        pending.worker?.kill({ kind: 'crashed', message: 'stopped' })
        pending.settle({ kind: 'crashed', message: 'stopped' })
      },
    }
  }

  idle(worker: PoolWorker): void {
    this.#idle.push(worker)
    this.#dispatch()
  }

  gone(worker: PoolWorker): void {
    this.#workers.delete(worker)
    const index = this.#idle.indexOf(worker)
    if (index >= 0) this.#idle.splice(index, 1)
    queueMicrotask(() => this.#dispatch())
  }

  /** Starts queued commands in order on idle workers of their memory size, making workers as allowed. */
  #dispatch(): void {
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!
      const index = this.#idle.findIndex((w) => w.memoryMb === next.memoryMb)
      let worker = index >= 0 ? this.#idle.splice(index, 1)[0] : undefined
      if (!worker && this.#workers.size >= this.#size && this.#idle.length > 0) {
        // Every slot is taken, some by idle workers of another memory size: retire one.
        const retired = this.#idle.pop()!
        this.#workers.delete(retired)
        retired.kill({ kind: 'crashed', message: 'retired' })
      }
      if (!worker && this.#workers.size < this.#size) {
        worker = new PoolWorker(this, next.memoryMb)
        this.#workers.add(worker)
      }
      if (!worker) return
      worker.start(this.#queue.shift()!)
    }
  }
}

let pool: ShellPool | undefined

/** Runs one command on the shared pool (created on first use). */
export function submitShellJob(
  job: ShellJob,
  limits: WorkspaceLimits,
  timeoutMs: number | undefined,
  memoryMb: number,
): ShellRun {
  pool ??= new ShellPool(SHELL_POOL_SIZE)
  return pool.submit(job, limits, timeoutMs, memoryMb)
}
