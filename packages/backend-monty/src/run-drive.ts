/**
 * `driveExecution`: runs one `Execution` from `start()` to its end, answering each pause. A name
 * lookup is answered with the session value (`lookup`), or as undefined once the program passed
 * its end marker (from there on it only reads back what it may have changed); the end marker's
 * own call is answered with `None`; any other call goes to `answer` (external functions,
 * dataclasses, `NameError`). Before each answer the signal and the deadline are checked: an abort
 * rejects with `AbortError`, a run past its deadline with the duration `ResourceLimitError`.
 *
 * Pausing: a call `pauseAt` selects is not answered; the drive ends there with `paused` (the
 * execution stays paused at it, ready to `dump()`). Resuming (`from`): the execution's `start()`
 * loads the paused program, and the first step answers its call with `from.answer`.
 */
import { createAbortError } from '@pyflue/core'
import type { CallAnswer, Execution, Step } from './execution.js'
import { PythonRaise } from './external-functions.js'
import { END_MARKER } from './program-builder.js'
import { durationError } from './run-limits.js'

/** What the drive needs from the run. */
export interface DriveHooks {
  /** Wraps every step the execution takes (the run's abort and the backend's close race it). */
  readonly guard: (step: Promise<Step>) => Promise<Step>
  /** The session value a lazy lookup of `name` gets, or undefined (Python then sees no such name). */
  readonly lookup: (name: string) => { value: unknown } | undefined
  /** The answer to a call of anything but the end marker. */
  readonly answer: (call: Extract<Step, { kind: 'call' }>) => Promise<{ value: unknown } | PythonRaise>
  readonly signal: AbortSignal | undefined
  /** When the run must be over (`Date.now()` time). */
  readonly deadline: number
  readonly maxDurationSecs: number
  /** True for a call the run pauses at instead of answering. Never asked of the end marker. */
  readonly pauseAt?: (call: CallStep) => boolean
}

type CallStep = Extract<Step, { kind: 'call' }>

/** Where a drive ended: the program completed, or it is paused at `call`. */
export type DriveOutcome =
  | { readonly kind: 'complete'; readonly output: unknown }
  | { readonly kind: 'paused'; readonly call: CallStep; readonly afterMarker: boolean }

/** Where a resumed drive picks up: the paused call's answer, and whether the marker had passed. */
export interface DriveFrom {
  readonly answer: CallAnswer
  readonly afterMarker: boolean
}

/** Drives `execution` until it completes or pauses at a call `pauseAt` selects. */
export async function driveExecution(
  execution: Execution,
  hooks: DriveHooks,
  from?: DriveFrom,
): Promise<DriveOutcome> {
  const { guard, signal } = hooks
  let afterMarker = from?.afterMarker ?? false
  let step = await guard(execution.start())
  if (from) {
    if (step.kind !== 'call') throw new Error('A resumed program must be paused at a call.')
    step = await guard(execution.resumeCall(from.answer))
  }
  while (step.kind !== 'complete') {
    if (signal?.aborted) throw createAbortError(signal)
    if (Date.now() > hooks.deadline) throw durationError(hooks.maxDurationSecs)
    if (step.kind === 'lookup') {
      step = await guard(execution.resumeLookup(afterMarker ? undefined : hooks.lookup(step.name)))
      continue
    }
    if (step.name === END_MARKER) {
      afterMarker = true
      step = await guard(execution.resumeCall({ value: null }))
      continue
    }
    if (hooks.pauseAt?.(step)) return { kind: 'paused', call: step, afterMarker }
    const answer = await hooks.answer(step)
    step = await guard(
      execution.resumeCall(
        answer instanceof PythonRaise
          ? { exception: { type: answer.type, message: answer.message } }
          : { value: answer.value },
      ),
    )
  }
  return { kind: 'complete', output: step.output }
}
