/**
 * `run_code` with approvals (see `python-approvals.ts`): the snippet runs through
 * `PythonBackend.start`, pausing at every call of an application tool that has `needsApproval`.
 * At each pause the tool's own `needsApproval` is asked with the call's input: a call it does not
 * need approval for (or one a person already approved "with the rest") is executed here and the
 * run resumed at once; otherwise the run stays paused and `settlePauses` resolves the pending
 * approval the prompt ends with.
 *
 * - An approved call runs the tool (its input validated by its schema, as inside `run`) and
 *   Python gets its output; a failing tool raises in Python (`TypeError` for refused arguments,
 *   `RuntimeError` otherwise); a denied call raises `PermissionError` with the denial's reason.
 * - A run that finishes or fails gives the `run_code` text the model reads, as `run_code` does.
 */
import {
  type ExternalFunctionDefinition,
  type ExternalFunctions,
  formatRunFailure,
  formatRunSuccess,
  type PythonBackend,
  type PythonHostCall,
  type PythonResumeAnswer,
  type PythonStartResult,
  validateWithSchema,
} from '@pyflue/core'
import type { ModelMessage, Tool, ToolSet } from 'ai'
import { type PendingApproval, pendingApproval, toolNeedsApproval } from './python-approvals.js'

/** The application tools whose calls from Python may need approval (they set `needsApproval`). */
export function toolsNeedingApproval(tools: ToolSet): Set<string> {
  const names = new Set<string>()
  for (const [name, tool] of Object.entries(tools)) {
    const needs = (tool as Tool).needsApproval
    if (needs !== undefined && needs !== false) names.add(name)
  }
  return names
}

/** What settling a run's pauses needs. */
export interface PauseContext {
  readonly backend: PythonBackend
  readonly tools: ToolSet
  /** The application tools as Python functions (the same ones `start` was given). */
  readonly externalFunctions: ExternalFunctions
  /** The names that pause (`toolsNeedingApproval`). */
  readonly pausing: ReadonlySet<string>
  readonly runCodeCallId: string
  readonly messages: ModelMessage[]
  readonly signal?: AbortSignal
  readonly maxOutputChars: number
  /** Rewrites host paths in text the model reads. */
  readonly scrub: (text: string) => string
}

/** Where a run ends up after its automatic answers: finished (the text for the model) or waiting. */
export type Settled =
  | { readonly kind: 'finished'; readonly output: string }
  | { readonly kind: 'waiting'; readonly pending: PendingApproval }

/** The tool input of a Python call: positional arguments named by the tool's parameters, then keywords. */
export function inputOfCall(
  definition: ExternalFunctionDefinition,
  call: PythonHostCall,
): Record<string, unknown> {
  const shape = (definition.parameters as { shape?: Record<string, unknown> }).shape
  const names = definition.parameterNames ?? (shape ? Object.keys(shape) : [])
  const input: Record<string, unknown> = {}
  call.args.forEach((arg, index) => {
    const name = names[index]
    if (name !== undefined) input[name] = arg
  })
  return { ...input, ...call.kwargs }
}

/** Runs an approved call's tool; the answer Python gets (its output, or the exception it raises). */
export async function runApprovedCall(
  definition: ExternalFunctionDefinition,
  input: Record<string, unknown>,
): Promise<{ answer: PythonResumeAnswer; outcome: { output: unknown } | { error: string } }> {
  let validated: unknown
  try {
    validated = await validateWithSchema(definition.parameters, input)
  } catch (error) {
    const message = (error as Error)?.message ?? String(error)
    return { answer: { exception: { type: 'TypeError', message } }, outcome: { error: message } }
  }
  try {
    const output = await definition.execute(validated as never)
    return { answer: { returnValue: output }, outcome: { output } }
  } catch (error) {
    const message = (error as Error)?.message ?? String(error)
    return { answer: { exception: { type: 'RuntimeError', message } }, outcome: { error: message } }
  }
}

/** The denial Python sees as a `PermissionError`. */
export function denialAnswer(toolName: string, reason: string | undefined): PythonResumeAnswer {
  return {
    exception: { type: 'PermissionError', message: reason ?? `The call of ${toolName} was denied.` },
  }
}

/**
 * Follows `first` (a `start` or `resume` outcome) through its pauses: each call the tool does not
 * need approval for (or, with `approveRest`, every call) runs here and the run resumes; the first
 * call that needs a person ends it as `waiting`. A run that fails is `finished` with its error's
 * text, as `run_code` reports failures.
 */
export async function settlePauses(
  context: PauseContext,
  first: () => Promise<PythonStartResult>,
  approveRest = false,
): Promise<Settled> {
  let outcome: PythonStartResult
  try {
    outcome = await first()
    for (;;) {
      if (outcome.status === 'complete') {
        return { kind: 'finished', output: context.scrub(formatRunSuccess(outcome, context.maxOutputChars)) }
      }
      const definition = context.externalFunctions[outcome.call.name] as ExternalFunctionDefinition
      const input = inputOfCall(definition, outcome.call)
      const needs =
        !approveRest &&
        (await toolNeedsApproval(context.tools, outcome.call.name, input, {
          toolCallId: outcome.id,
          messages: context.messages,
        }))
      if (needs) {
        return {
          kind: 'waiting',
          pending: pendingApproval(outcome, context.runCodeCallId, outcome.call.name, input, approveRest),
        }
      }
      const { answer } = await runApprovedCall(definition, input)
      outcome = await context.backend.resume!(outcome, answer, resumeOptions(context))
    }
  } catch (error) {
    return { kind: 'finished', output: context.scrub(formatRunFailure(error, context.maxOutputChars)) }
  }
}

/** The options of every `resume` of a `run_code` run. */
export function resumeOptions(context: PauseContext) {
  return {
    externalFunctions: context.externalFunctions,
    pauseOn: [...context.pausing],
    ...(context.signal ? { signal: context.signal } : {}),
  }
}
