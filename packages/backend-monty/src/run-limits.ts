/**
 * The limits of one run, in one place: checking the caller's `ResourceLimits`, the plain numbers
 * Monty takes, which Monty failure is which limit, and the wall-clock deadline (counted from the
 * call) that external calls and result validation race against.
 */
import {
  createAbortError,
  InvalidArgumentError,
  ResourceLimitError,
  type ResourceLimits,
  refuseUnknownKeys,
} from '@pyflue/core'

export const LIMIT_KEYS = ['maxDurationSecs', 'maxMemory', 'maxAllocations', 'maxRecursionDepth'] as const

/** Which limit a Monty failure (its Python type and message) is, if any. */
export function limitOf(
  typeName: string,
  message: string,
): 'maxDurationSecs' | 'maxMemory' | 'maxAllocations' | 'maxRecursionDepth' | undefined {
  // Monty raises limits as these exceptions (a value handed in by the host that is too big is a
  // RuntimeError wrapping the same message); Python code cannot catch them.
  const limitType = typeName === 'RuntimeError' || typeName === 'TimeoutError' || typeName === 'MemoryError'
  if (limitType && /^(invalid [\w ]+: )?time limit exceeded/.test(message)) return 'maxDurationSecs'
  if (limitType && /^(invalid [\w ]+: )?memory limit exceeded/.test(message)) return 'maxMemory'
  if (limitType && /^(invalid [\w ]+: )?allocation limit exceeded/.test(message)) return 'maxAllocations'
  if (typeName === 'RecursionError' && message.startsWith('maximum recursion depth exceeded'))
    return 'maxRecursionDepth'
  return undefined
}

/** The limits Monty takes, as plain numbers. */
export function montyLimitsOf(limits: ResourceLimits): Record<string, number> {
  const out: Record<string, number> = {}
  for (const key of LIMIT_KEYS) if (limits[key] !== undefined) out[key] = limits[key]!
  return out
}

/** Checks a `ResourceLimits` option; returns the limits it sets. */
export function checkLimits(limits: ResourceLimits | undefined, argument: string): ResourceLimits {
  if (limits === undefined) return {}
  if (typeof limits !== 'object' || limits === null) {
    throw new InvalidArgumentError(argument, `${argument} must be an object.`)
  }
  refuseUnknownKeys(limits, LIMIT_KEYS, argument)
  const out: ResourceLimits = {}
  for (const key of LIMIT_KEYS) {
    const value = limits[key]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new InvalidArgumentError(
        argument,
        `${argument}.${key} must be a positive number; got ${String(value)}.`,
      )
    }
    out[key] = value
  }
  return out
}

/**
 * A run's wall-clock deadline (`Date.now()` scale). It starts at the call. Time the run spends
 * waiting for a pool process (a free one, or a fresh one's start) is given back, so
 * `maxDurationSecs` measures the run, not how loaded the machine is: a machine that needs 6 s to
 * boot a Node process must not fail a 5 s run that never began. That waiting is bounded instead
 * by `startTimeoutMs` per start (three starts, then `ExecutionCrashedError`), by the runs ahead
 * (each under its own deadline) and by the abort signal. Read `deadline` when it is needed: it
 * may move later while the run waits for a process, never earlier.
 */
export class RunClock {
  #deadline: number

  constructor(maxDurationSecs: number) {
    this.#deadline = Date.now() + maxDurationSecs * 1000
  }

  /** When the run must be over. */
  get deadline(): number {
    return this.#deadline
  }

  /** Gives back `ms` milliseconds the run spent waiting for a pool process. */
  giveBack(ms: number): void {
    if (ms > 0) this.#deadline += ms
  }
}

/**
 * The one error of a run past its deadline, wherever it is noticed; `what` says what happened
 * (by default: the wall-clock deadline passed, time in external functions included).
 */
export function durationError(
  seconds: number | undefined,
  what = 'the wall-clock deadline passed, time in external functions included',
): ResourceLimitError {
  return new ResourceLimitError({
    limit: 'maxDurationSecs',
    ...(seconds === undefined ? {} : { value: seconds }),
    message: `The run exceeded its maxDurationSecs limit (${seconds}): ${what}.`,
  })
}

/** True for an abort error. */
export function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError'
}

/** Races an external call against the run's deadline and its abort signal. */
export function raceDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  maxDurationSecs: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(() => reject(durationError(maxDurationSecs))),
      Math.max(0, deadline - Date.now()),
    )
    const onAbort = () => finish(() => reject(createAbortError(signal)))
    let done = false
    function finish(settle: () => void) {
      if (done) return
      done = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      settle()
    }
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    )
  })
}
