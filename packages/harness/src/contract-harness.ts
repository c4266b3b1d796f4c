// Prompts on a harness other than the built-in AI SDK loop (core's `Harness` contract, e.g.
// `@pyflue/deepagents`): the options such a prompt accepts, and the check of what the harness
// returned before the session keeps it.
import { type Harness, type HarnessPromptResult, InvalidArgumentError } from '@pyflue/core'
import type { LanguageModelUsage } from 'ai'

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

/** Refuses prompt options only the AI SDK loop implements (`result`, `onRunCode`). */
export function refuseAiSdkOnlyOptions(
  options: { result?: unknown; onRunCode?: unknown },
  harness: Harness,
): void {
  for (const key of ['result', 'onRunCode'] as const) {
    if (options[key] !== undefined) {
      throw new InvalidArgumentError(
        key,
        `The prompt option ${key} needs the 'ai-sdk' harness; this agent runs on the harness '${harness.name}'.`,
      )
    }
  }
}

const FINISH_REASONS = ['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']

/** Checks a harness's result; returns it when the session can keep it. */
export function checkHarnessResult(result: unknown, harness: Harness): HarnessPromptResult {
  const r = result as Partial<HarnessPromptResult> | null
  if (typeof r !== 'object' || r === null) throw broken(harness, 'returned no result object')
  if (typeof r.text !== 'string') throw broken(harness, 'returned a result without text')
  if (!Array.isArray(r.messages) || r.messages.length === 0) {
    throw broken(harness, "returned no messages (the user's message comes first)")
  }
  if (!FINISH_REASONS.includes(r.finishReason as string)) {
    throw broken(harness, `returned the finish reason ${String(r.finishReason)}`)
  }
  try {
    structuredClone(r.messages)
  } catch {
    throw broken(harness, 'returned messages that are not plain JSON values')
  }
  return r as HarnessPromptResult
}

/** A contract harness's usage in the AI SDK's shape (what `PromptReply.usage` is). */
export function usageOf(result: HarnessPromptResult): LanguageModelUsage {
  const usage = result.usage ?? { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined }
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.totalTokens,
    inputTokenDetails: { noCacheTokens: undefined, cacheReadTokens: undefined, cacheWriteTokens: undefined },
    outputTokenDetails: { textTokens: undefined, reasoningTokens: undefined },
  } as LanguageModelUsage
}
