/**
 * Checks of the options `session.prompt`, `session.stream` and `session.runPython` take, at the
 * call that received them, and how a prompt's end is read (`stepsExhausted`).
 */
import {
  checkResourceLimits,
  InvalidArgumentError,
  PYTHON_RUN_OPTION_KEYS,
  type ResourceLimits,
  refuseUnknownKeys,
} from '@pyflue/core'
import type { FinishReason } from 'ai'

const PROMPT_OPTION_KEYS = ['result', 'signal', 'maxSteps', 'onRunCode'] as const

/** Refuses unknown keys and invalid values of prompt/stream options; returns the step budget. */
export function checkPromptOptions(options: unknown, defaultMaxSteps: number, where: string): number {
  refuseUnknownKeys(options, PROMPT_OPTION_KEYS, where)
  const { maxSteps, onRunCode } = (options ?? {}) as { maxSteps?: unknown; onRunCode?: unknown }
  if (maxSteps !== undefined && (!Number.isInteger(maxSteps) || (maxSteps as number) < 1)) {
    throw new InvalidArgumentError(`${where}.maxSteps`, 'maxSteps must be a positive integer.')
  }
  if (onRunCode !== undefined && typeof onRunCode !== 'function') {
    throw new InvalidArgumentError(`${where}.onRunCode`, 'onRunCode must be a function.')
  }
  return (maxSteps as number | undefined) ?? defaultMaxSteps
}

/**
 * Refuses unknown keys and invalid limits of `runPython` options; returns the options with the
 * session's `resourceLimits` as defaults under the run's own.
 */
export function runPythonOptions<O extends object>(
  options: O,
  sessionLimits: ResourceLimits | undefined,
): O & { resourceLimits?: ResourceLimits } {
  refuseUnknownKeys(options, PYTHON_RUN_OPTION_KEYS, 'runPython options')
  const own = (options as { resourceLimits?: ResourceLimits }).resourceLimits
  checkResourceLimits(own, 'runPython options.resourceLimits')
  if (sessionLimits === undefined) return options
  return { ...options, resourceLimits: { ...sessionLimits, ...own } }
}

/**
 * True when a prompt ended because it used its whole step budget while the model still wanted
 * to go on: `maxSteps` steps were taken and the last one ended in tool calls, so the model never
 * wrote its answer after them (its `text` is then usually empty).
 */
export function stepsExhausted(
  steps: ReadonlyArray<{ finishReason: FinishReason }>,
  maxSteps: number,
): boolean {
  return steps.length >= maxSteps && steps.at(-1)?.finishReason === 'tool-calls'
}
