// One forked pool process (`dist/pool-runner.js`): starts it, sends one request at a time and
// waits for the reply, and turns its death (crash, out of memory, kill) into the run's error.
import { type ChildProcess, fork } from 'node:child_process'
import type { Socket } from 'node:net'
import { getPriority, setPriority } from 'node:os'
import { fileURLToPath } from 'node:url'
import { ExecutionCrashedError, ResourceLimitError } from '@pyflue/core'
import type { FromRunner, ToRunner } from './pool-protocol.js'
import { ProgramIds } from './program-ids.js'

// Under vitest the engine runs from `src/*.ts`; the runner is always the built `dist/pool-runner.js`.
const RUNNER_PATH = fileURLToPath(
  import.meta.url.endsWith('.ts')
    ? new URL('../dist/pool-runner.js', import.meta.url)
    : new URL('./pool-runner.js', import.meta.url),
)

const OUT_OF_MEMORY =
  /heap out of memory|Reached heap limit|memory allocation of \d+ bytes failed|out of memory/i

/** One forked process. */
export class PoolProcess {
  readonly child: ChildProcess
  readonly ready: Promise<void>
  /** When it was started (`Date.now()` scale). */
  readonly startedAt = Date.now()
  isReady = false
  /** How it ended, once it has. */
  ended: { code: number | null; signal: string | null } | undefined
  /** Why the pool killed it, when it did: the error a pending reply rejects with. */
  killReason: unknown
  idleTimer: NodeJS.Timeout | undefined
  onPrint: ((text: string) => void) | undefined
  #stderrTail = ''
  readonly #stderr: Socket | null
  #pending: { resolve: (m: FromRunner) => void; reject: (e: unknown) => void } | undefined
  /** The programs this process has been sent, by id (`program-ids.ts`). */
  readonly programs = new ProgramIds()
  readonly #onEnd: (proc: PoolProcess) => void

  constructor(maxHeapMb: number, niceness: number, onEnd: (proc: PoolProcess) => void) {
    this.#onEnd = onEnd
    this.child = fork(RUNNER_PATH, [], {
      execArgv: [`--max-old-space-size=${maxHeapMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Python cannot read the environment anyway; the process gets none of the host's.
      env: {},
    })
    const stderr = this.child.stderr as Socket | null
    this.#stderr = stderr
    stderr?.setEncoding('utf8')
    stderr?.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-4096)
    })
    let markReady: () => void
    let failReady: (error: unknown) => void
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve
      failReady = reject
    })
    this.ready.catch(() => {})
    this.#hold(true)
    this.child.on('message', (message: FromRunner) => {
      if (message.type === 'ready') {
        // The start (loading Node and the engine) runs at the host's priority, so a loaded host
        // cannot starve it past `startTimeoutMs`; Python runs at the lower one.
        this.#lowerPriority(niceness)
        if (!this.#pending) this.#hold(false)
        this.isReady = true
        return markReady()
      }
      if (message.type === 'print') return this.onPrint?.(message.text)
      const pending = this.#pending
      this.#pending = undefined
      this.#hold(false)
      pending?.resolve(message)
    })
    this.child.on('error', () => {
      // Reported through 'close' (a failed spawn or a failed send ends the process).
    })
    this.child.on('close', (code, signal) => {
      this.ended = { code, signal }
      const error = this.deathError()
      failReady(error)
      const pending = this.#pending
      this.#pending = undefined
      pending?.reject(error)
      this.#onEnd(this)
    })
  }

  /**
   * Keeps Node alive while the parent waits for this process (its reply, or news of its death:
   * the exit status and the last of stderr); an idle process keeps nothing alive.
   */
  #hold(on: boolean): void {
    if (on) {
      this.child.ref()
      this.child.channel?.ref()
      this.#stderr?.ref?.()
    } else {
      this.child.unref()
      this.child.channel?.unref()
      this.#stderr?.unref?.()
    }
  }

  /** Lowers the process's priority by `niceness` (nothing when 0 or not permitted here). */
  #lowerPriority(niceness: number): void {
    if (niceness <= 0 || this.child.pid === undefined || this.ended) return
    try {
      setPriority(this.child.pid, Math.min(19, getPriority() + niceness))
    } catch {
      // Not permitted here, or the process just ended: it keeps the host's priority.
    }
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  get busy(): boolean {
    return this.#pending !== undefined
  }

  /** The error a run gets when this process ended under it. */
  deathError(limits?: Record<string, number>): unknown {
    if (this.killReason !== undefined) return this.killReason
    const { code, signal } = this.ended ?? { code: null, signal: null }
    if (OUT_OF_MEMORY.test(this.#stderrTail) || signal === 'SIGABRT' || code === 134) {
      const value = limits?.maxMemory
      return new ResourceLimitError({
        limit: 'maxMemory',
        ...(value === undefined ? {} : { value }),
        message:
          'The run exceeded its maxMemory limit: the process executing it ran out of memory ' +
          '(the values it built did not fit in the process heap) and was replaced.',
      })
    }
    return new ExecutionCrashedError({ exitCode: code, signal })
  }

  /** Sends one message and waits for the reply (print chunks go to `onPrint` meanwhile). */
  request(message: ToRunner, limits: Record<string, number>): Promise<FromRunner> {
    if (this.ended) return Promise.reject(this.deathError(limits))
    return new Promise<FromRunner>((resolve, reject) => {
      this.#pending = {
        resolve,
        reject: (error) => reject(error instanceof ResourceLimitError ? this.deathError(limits) : error),
      }
      this.#hold(true)
      try {
        this.child.send(message)
      } catch (error) {
        this.#pending = undefined
        reject(error)
      }
    })
  }

  kill(reason: unknown): void {
    if (this.ended) return
    this.killReason ??= reason
    this.child.kill('SIGKILL')
  }
}
