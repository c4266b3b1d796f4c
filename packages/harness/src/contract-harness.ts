// Prompts on a harness other than the built-in AI SDK loop (core's `Harness` contract, e.g.
// `@pyflue/deepagents`): the options such a prompt accepts, and the check of what the harness
// returned before the session keeps it.
import {
  type Harness,
  type HarnessEvent,
  type HarnessPromptOption,
  type HarnessPromptResult,
  InvalidArgumentError,
  isStandardSchema,
  type StandardSchemaV1,
  validateWithSchema,
} from '@pyflue/core'
import type { LanguageModelUsage } from 'ai'
import type { RunCodeEvent } from './run-code-tool.js'
import type { SessionEvent } from './session-events.js'

/** What a session needs to prompt on a contract harness. */
export interface ContractHarnessSetting {
  harness: Harness
  /** The application's model, already accepted by `harness.checkModel` (or `undefined`). */
  model: unknown
  /** The application's tools, in the harness's format. */
  tools: unknown
}

/** A harness broke its contract: what it returned cannot be kept in the session. */
function broken(harness: Harness, message: string): InvalidArgumentError {
  return new InvalidArgumentError('harness', `The harness '${harness.name}' ${message} (see Harness).`)
}

const OPTIONAL_PROMPT_OPTIONS: readonly HarnessPromptOption[] = ['result', 'onRunCode']

/**
 * Refuses the prompt options the harness does not list in its `promptOptions` (never ignores
 * them), and a `result` that is not a Standard Schema (the session validates with it).
 */
export function refuseUnsupportedOptions(
  options: { result?: unknown; onRunCode?: unknown },
  harness: Harness,
): void {
  for (const key of OPTIONAL_PROMPT_OPTIONS) {
    if (options[key] !== undefined && !harness.promptOptions?.includes(key)) {
      throw new InvalidArgumentError(
        key,
        `The harness '${harness.name}' does not support the prompt option ${key} (its promptOptions do not list it); the 'ai-sdk' harness does.`,
      )
    }
  }
  if (options.result !== undefined && !isStandardSchema(options.result)) {
    throw new InvalidArgumentError(
      'result',
      `With the harness '${harness.name}', the result option must be a Standard Schema validator (zod, valibot, arktype, …).`,
    )
  }
}

/**
 * The `onEvent` a session gives a contract harness: `'run-code'` events go to `onRunCode`, the
 * others to the stream's queue (when there is one), none once the prompt is aborted. A throwing
 * `onRunCode` does not reach the harness.
 */
export function routeHarnessEvents(
  signal: AbortSignal,
  push: ((event: SessionEvent) => void) | undefined,
  onRunCode: ((event: RunCodeEvent) => void) | undefined,
): (event: HarnessEvent) => void {
  return (event) => {
    if (signal.aborted) return
    if (event.type === 'run-code') {
      const { type: _type, ...run } = event
      try {
        onRunCode?.(run)
      } catch {
        // The callback is the application's logging; its failure does not stop the prompt.
      }
      return
    }
    push?.(event)
  }
}

/** The typed reply of a prompt with a `result` schema: the harness's structured answer, validated. */
export async function typedResultOf(result: HarnessPromptResult, schema: unknown): Promise<unknown> {
  if (schema === undefined) return undefined
  return validateWithSchema(schema as StandardSchemaV1, result.result)
}

const FINISH_REASONS = ['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']

/** Checks a harness's result; returns it when the session can keep it. */
export function checkHarnessResult(result: unknown, harness: Harness): HarnessPromptResult {
  const r = result as Partial<HarnessPromptResult> | null
  if (typeof r !== 'object' || r === null) throw broken(harness, 'returned no result object')
  if (typeof r.text !== 'string') throw broken(harness, 'returned a result without text')
  checkMessages(r.messages, harness, 'returned')
  if (!FINISH_REASONS.includes(r.finishReason as string)) {
    throw broken(harness, `returned the finish reason ${String(r.finishReason)}`)
  }
  return r as HarnessPromptResult
}

/** Checks the messages a harness hands to `commitStep` before the session saves them. */
export function checkStepMessages(messages: unknown, harness: Harness): void {
  checkMessages(messages, harness, 'committed')
}

function checkMessages(messages: unknown, harness: Harness, verb: string): void {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw broken(harness, `${verb} no messages (the user's message comes first)`)
  }
  try {
    structuredClone(messages)
  } catch {
    throw broken(harness, `${verb} messages that are not plain JSON values`)
  }
}

/** A contract harness's usage in the AI SDK's shape (what `PromptReply.usage` is). */
export function usageOf(result: Pick<HarnessPromptResult, 'usage'>): LanguageModelUsage {
  // A third-party harness written in JavaScript may leave it out.
  const usage = result.usage ?? { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined }
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.totalTokens,
    inputTokenDetails: { noCacheTokens: undefined, cacheReadTokens: undefined, cacheWriteTokens: undefined },
    outputTokenDetails: { textTokens: undefined, reasoningTokens: undefined },
  } as LanguageModelUsage
}
