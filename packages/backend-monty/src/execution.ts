import type { MountDir } from '@pydantic/monty'
import {
  Monty,
  type MontyComplete,
  MontyNameLookup,
  MontyRuntimeError,
  MontySnapshot,
  MontySyntaxError,
} from '@pydantic/monty'
import type { RunClock } from './run-limits.js'
import type { ValueBudgetLimits } from './value-budget.js'

/** Where a running program stands: paused at a name lookup or a call, or complete. */
export type Step =
  | { readonly kind: 'lookup'; readonly name: string }
  | {
      readonly kind: 'call'
      readonly name: string
      readonly args: readonly unknown[]
      readonly kwargs: Readonly<Record<string, unknown>>
    }
  | { readonly kind: 'complete'; readonly output: unknown }

/** How the host answers a call pause. */
export type CallAnswer =
  | { readonly value: unknown }
  | { readonly exception: { type: string; message: string } }

/** Monty's failure as plain data, wherever the program ran. */
export class MontyFailure extends Error {
  constructor(
    readonly kind: 'syntax' | 'runtime',
    readonly typeName: string,
    readonly pythonMessage: string,
    readonly frames: readonly { line: number; column: number; functionName?: string }[],
  ) {
    super(`${typeName}: ${pythonMessage}`)
  }
}

/** What one run hands to Monty. */
export interface ExecutionRequest {
  readonly source: string
  readonly scriptName: string
  readonly inputNames: readonly string[]
  readonly inputs: Record<string, unknown>
  readonly limits: Record<string, number>
  /** The budget of each value the program hands back (`value-budget.ts`). */
  readonly valueLimits: ValueBudgetLimits
  /** When the run must be over (`run-limits.ts`: waiting for a pool process is given back). */
  readonly clock: RunClock
  readonly canPause: boolean
  readonly printCallback: (text: string) => void
}

/** One program's execution, driven step by step by the engine. */
export interface Execution {
  start(): Promise<Step>
  resumeLookup(value: { value: unknown } | undefined): Promise<Step>
  resumeCall(answer: CallAnswer): Promise<Step>
  /**
   * The run is over: frees what the execution holds. When the program is still computing (a
   * pool process busy with it), stops it at once; a pending step rejects with `reason`.
   * Idempotent. In-thread nothing can be stopped mid-step; later steps reject with `reason`.
   */
  dispose(reason?: unknown): void
}

/** Turns `@pydantic/monty`'s errors into `MontyFailure`; anything else passes through. */
export function toMontyFailure(error: unknown): unknown {
  if (error instanceof MontySyntaxError) {
    const info = error.exception
    return new MontyFailure('syntax', info.typeName || 'SyntaxError', info.message, [])
  }
  if (error instanceof MontyRuntimeError) {
    const info = error.exception
    const frames = error.traceback().map((frame) => ({
      line: frame.line,
      column: frame.column,
      ...(frame.functionName ? { functionName: frame.functionName } : {}),
    }))
    return new MontyFailure('runtime', info.typeName, info.message, frames)
  }
  return error
}

const PROGRAM_CACHE_SIZE = 256
const programCache = new Map<string, Monty>()

/** A parsed program can run any number of times: a small LRU spares re-parsing identical programs. */
export function cachedMonty(source: string, scriptName: string, inputs: readonly string[]): Monty {
  const key = `${scriptName}\0${inputs.join(',')}\0${source}`
  const cached = programCache.get(key)
  if (cached) {
    programCache.delete(key)
    programCache.set(key, cached)
    return cached
  }
  const monty = new Monty(source, { scriptName, inputs: [...inputs] })
  programCache.set(key, monty)
  if (programCache.size > PROGRAM_CACHE_SIZE) programCache.delete(programCache.keys().next().value!)
  return monty
}

/**
 * Runs the program on the calling thread (the lowest latency; aborts only at pauses). For
 * trusted code only: a native operation ignores the deadline and a native crash ends the host.
 */
export function inProcessExecution(request: ExecutionRequest, mounts: readonly MountDir[]): Execution {
  let progress: MontySnapshot | MontyNameLookup | MontyComplete | undefined
  let disposed: { reason: unknown } | undefined
  const step = (): Step => {
    if (progress instanceof MontyNameLookup) return { kind: 'lookup', name: progress.variableName }
    if (progress instanceof MontySnapshot) {
      return { kind: 'call', name: progress.functionName, args: progress.args, kwargs: progress.kwargs }
    }
    return { kind: 'complete', output: (progress as MontyComplete).output }
  }
  const guard = async (advance: () => void): Promise<Step> => {
    if (disposed) throw disposed.reason
    try {
      advance()
    } catch (error) {
      throw toMontyFailure(error)
    }
    return step()
  }
  return {
    start: async () => {
      if (disposed) throw disposed.reason
      let monty: Monty
      try {
        monty = cachedMonty(request.source, request.scriptName, request.inputNames)
      } catch (error) {
        throw toMontyFailure(error)
      }
      const options = {
        ...(request.inputNames.length > 0 ? { inputs: request.inputs } : {}),
        // Monty's own timer gets what remains of the deadline; it stops
        // Python code between operations, not a native operation in progress.
        limits: {
          ...request.limits,
          maxDurationSecs: Math.max(0.001, (request.clock.deadline - Date.now()) / 1000),
        },
        printCallback: (_stream: string, text: string) => {
          request.printCallback(text)
          return undefined
        },
        ...(mounts.length > 0 ? { mount: [...mounts] } : {}),
      }
      if (!request.canPause) {
        try {
          return { kind: 'complete', output: monty.run(options) }
        } catch (error) {
          throw toMontyFailure(error)
        }
      }
      return guard(() => {
        progress = monty.start(options)
      })
    },
    resumeLookup: (value) =>
      guard(() => {
        progress = (progress as MontyNameLookup).resume(value ? { value: value.value } : undefined)
      }),
    resumeCall: (answer) =>
      guard(() => {
        progress = (progress as MontySnapshot).resume(
          'exception' in answer ? { exception: answer.exception } : { returnValue: answer.value },
        )
      }),
    dispose(reason) {
      disposed ??= { reason: reason ?? new Error('This execution is over.') }
      progress = undefined
    },
  }
}
