/**
 * A name an earlier run bound to a value the session could not keep (`value-notes.ts` says
 * which values those are) is unbound, never silently: the run that bound it reports it in
 * `result.notKept`, and a later run that reads it fails with a `NameError` whose message says
 * which run bound it and why the value was not kept.
 */
import { PythonRuntimeError } from '@pyflue/core'
import { article } from './not-kept-reasons.js'
import type { NotKeptRecord, SessionState } from './session-state.js'

/** `name 'x' is not defined`, extended with why an earlier run's value of `x` was not kept. */
export function notKeptMessage(name: string, record: NotKeptRecord): string {
  return (
    `name '${name}' is not defined: run ${record.run} of this session (${record.scriptName}) bound it ` +
    `to ${article(record.type)}, which was not kept because ${record.reason}`
  )
}

/**
 * The error of a run, with a `NameError` for a name that was not kept explained. Python code
 * that catches the `NameError` sees Python's own message; the error the run rejects with, and
 * so the model reading it, gets the explanation.
 */
export function explainNotKept(error: unknown, state: SessionState): unknown {
  if (!(error instanceof PythonRuntimeError) || error.excType !== 'NameError') return error
  const name = /^name '([^']+)' is not defined$/.exec(error.pythonMessage)?.[1]
  const record = name === undefined ? undefined : state.notKept.get(name)
  if (!record || state.data.has(name!) || state.definitions.has(name!)) return error
  return new PythonRuntimeError({
    excType: error.excType,
    message: notKeptMessage(name!, record),
    traceback: error.traceback,
    cause: error.cause,
  })
}
