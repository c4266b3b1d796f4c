/**
 * Telemetry of a prompt: the `pyflue.session.prompt` span around `session.prompt`/`stream`
 * (GenAI `invoke_agent`, with the session id, steps, finish reason and token usage), the AI SDK's
 * own telemetry settings so its `ai.*` spans nest inside it, and `execute_tool <name>` spans
 * around the harness's built-in tools.
 */
import {
  TELEMETRY_ATTRIBUTES as ATTR,
  isAbortError,
  TELEMETRY_SPANS as SPAN,
  type Telemetry,
} from '@pyflue/core'
import type { TelemetrySettings, ToolSet } from 'ai'

/** What the prompt span reads from a reply (a `PromptReply`). */
interface ReplyFacts {
  steps?: readonly unknown[]
  usage?: { inputTokens?: number | undefined; outputTokens?: number | undefined }
  finishReason?: string
  stepsExhausted?: boolean
}

/** Runs a prompt (`run`) in its `pyflue.session.prompt` span; counts it in `pyflue.aborts` when aborted. */
export function tracePrompt<R>(
  telemetry: Telemetry,
  facts: { sessionId: string; streamed: boolean; maxSteps: number },
  run: () => Promise<R>,
): Promise<R> {
  if (!telemetry.enabled) return run()
  const attributes = {
    [ATTR.operationName]: 'invoke_agent',
    [ATTR.conversationId]: facts.sessionId,
    [ATTR.streamed]: facts.streamed,
    [ATTR.maxSteps]: facts.maxSteps,
  }
  return telemetry.spanAsync(SPAN.prompt, attributes, async (span) => {
    try {
      const reply = await run()
      const facts = (reply ?? {}) as ReplyFacts
      span?.setAttributes({
        [ATTR.outcome]: 'ok',
        [ATTR.steps]: facts.steps?.length,
        [ATTR.stepsExhausted]: facts.stepsExhausted,
        [ATTR.finishReasons]: facts.finishReason === undefined ? undefined : [facts.finishReason],
        [ATTR.inputTokens]: facts.usage?.inputTokens,
        [ATTR.outputTokens]: facts.usage?.outputTokens,
      })
      return reply
    } catch (error) {
      if (isAbortError(error)) telemetry.recordAbort('session.prompt')
      throw error
    }
  })
}

/**
 * The AI SDK's `experimental_telemetry` for a prompt, spread into its call options: enabled with
 * the agent's tracer, recording inputs and outputs (prompts, replies, tool arguments, which carry
 * the code) only with `recordCode`. Empty without a tracer.
 */
export function aiSdkTelemetry(telemetry: Telemetry): { experimental_telemetry?: TelemetrySettings } {
  const tracer = telemetry.tracer
  if (tracer === undefined) return {}
  return {
    experimental_telemetry: {
      isEnabled: true,
      tracer: tracer as unknown as NonNullable<TelemetrySettings['tracer']>,
      recordInputs: telemetry.recordCode,
      recordOutputs: telemetry.recordCode,
      functionId: SPAN.prompt,
    },
  }
}

/**
 * `tools` with each of `names` (the harness's built-in tools, whose `execute` returns a promise)
 * run in an `execute_tool <name>` span (GenAI conventions). Other tools are left as they are:
 * the AI SDK traces them (`ai.toolCall`), and their `execute` may stream.
 */
export function traceBuiltInTools(telemetry: Telemetry, tools: ToolSet, names: readonly string[]): ToolSet {
  if (telemetry.tracer === undefined) return tools
  const traced: ToolSet = { ...tools }
  for (const name of names) {
    const tool = tools[name]
    const execute = tool?.execute
    if (tool === undefined || typeof execute !== 'function') continue
    traced[name] = {
      ...tool,
      execute: (input: unknown, options: { toolCallId: string }) =>
        telemetry.span(
          `${SPAN.tool} ${name}`,
          {
            [ATTR.operationName]: 'execute_tool',
            [ATTR.toolName]: name,
            [ATTR.toolType]: 'function',
            [ATTR.toolCallId]: options.toolCallId,
          },
          () => execute(input as never, options as never),
        ),
    } as ToolSet[string]
  }
  return traced
}
