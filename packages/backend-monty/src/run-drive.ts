/**
 * `driveExecution`: runs one `Execution` from `start()` to its end, answering each pause. A name
 * lookup is answered with the session value (`lookup`), or as undefined once the program passed
 * its end marker (from there on it only reads back what it may have changed); the end marker's
 * own call is answered with `None`; any other call goes to `answer` (external functions,
 * dataclasses, `NameError`). Before each answer the signal and the deadline are checked: an abort
 * rejects with `AbortError`, a run past its deadline with the duration `ResourceLimitError`.
 */
import { createAbortError } from '@pyflue/core'
import type { Execution, Step } from './execution.js'
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
}

/** Drives `execution` to completion; resolves with the program's output. */
export async function driveExecution(execution: Execution, hooks: DriveHooks): Promise<unknown> {
  const { guard, signal } = hooks
  let afterMarker = false
  let step = await guard(execution.start())
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
    const answer = await hooks.answer(step)
    step = await guard(
      execution.resumeCall(
        answer instanceof PythonRaise
          ? { exception: { type: answer.type, message: answer.message } }
          : { value: answer.value },
      ),
    )
  }
  return step.output
}
