// `deepagentsHarness()`: core's `Harness` contract on Deep Agents, so `@pyflue/harness` sessions
// (`init({ harness: 'deepagents' })`) prompt a LangChain chat model through `createDeepAgent`,
// with `run_code` in the session's Python backend and Deep Agents' file tools and `execute` in
// the session's sandbox. The history is kept as LangChain's stored messages (JSON), so any
// session store holds it and the next prompt, in this process or another, continues it. Each
// step that called tools is committed to the session before the next model call.
import {
  AIMessage,
  type BaseMessage,
  HumanMessage,
  mapChatMessagesToStoredMessages,
  mapStoredMessagesToChatMessages,
  type StoredMessage,
} from '@langchain/core/messages'
import { toJsonSchema } from '@langchain/core/utils/json_schema'
import {
  createAbortError,
  HARNESS_CONTRACT_VERSION,
  type Harness,
  type HarnessEvent,
  type HarnessFinishReason,
  type HarnessPromptInput,
  type HarnessPromptResult,
  InvalidArgumentError,
} from '@pyflue/core'
import { createDeepAgent } from 'deepagents'
import { createMiddleware } from 'langchain'
import { createPyflueDeepAgent } from './create-pyflue-deep-agent.js'
import { textOf } from './message-text.js'
import { isRunCodeStdoutChunk, RUN_CODE_TOOL_NAME } from './run-code-tool.js'
import { sandboxBackend } from './sandbox-backend.js'

/** The harness's name in the registry. */
export const DEEPAGENTS_HARNESS_NAME = 'deepagents'

/**
 * The name of the tool the model calls to give a structured reply (`prompt({ result })`), through
 * LangChain's tool strategy for `responseFormat`.
 */
export const RESULT_TOOL_NAME = 'extract-result'

type DeepAgentParams = NonNullable<Parameters<typeof createDeepAgent>[0]>

/**
 * The Deep Agents harness (what `init({ harness: 'deepagents' })` resolves to).
 *
 * - `model` must be a LangChain chat model with tool calling (`bindTools`); an AI SDK model or a
 *   model string is refused at `init()` with `InvalidArgumentError`.
 * - `tools` must be an array of LangChain tools; they are also callable from Python in `run_code`.
 * - Each prompt runs `createDeepAgent` on the session's history: `run_code` in the session's
 *   Python backend (its namespace is the session's), the session's sandbox as the backend of the
 *   file tools and `execute`, the session's system prompt as `systemPrompt`, at most `maxSteps`
 *   model calls (then it ends with `stepsExhausted`).
 * - After each model step that called tools, the prompt so far is committed to the session
 *   (`commitStep`) before the next model call, so a crash mid-prompt keeps the finished steps.
 * - Events: the text the model streams, chunk by chunk, as `text-delta` (a model that does not
 *   stream gives one per step); then each step's tool calls and their results. What `run_code`'s
 *   Python prints comes as `run-code-stdout` while it runs, in a subagent too, and each `run_code`
 *   call ends with a `run-code` event (the session's `onRunCode`). A subagent's own text and tool
 *   calls are not events: its answer is the `task` tool's result.
 * - `result` (a zod schema or a Standard JSON Schema) is Deep Agents' `responseFormat` with
 *   LangChain's tool strategy: the model answers by calling the tool `RESULT_TOOL_NAME`; the
 *   reply's text is that answer as JSON.
 */
export function deepagentsHarness(): Harness {
  return {
    name: DEEPAGENTS_HARNESS_NAME,
    contractVersion: HARNESS_CONTRACT_VERSION,
    promptOptions: ['result', 'onRunCode'],
    checkModel,
    checkTools,
    prompt,
  }
}

function checkModel(model: unknown): void {
  const candidate = model as Record<string, unknown> | null
  if (typeof model === 'object' && model !== null && typeof candidate?.doGenerate === 'function') {
    throw new InvalidArgumentError(
      'model',
      "The harness 'deepagents' drives a LangChain chat model, and this is an AI SDK model: pass a LangChain chat model (e.g. new ChatOpenAI() from @langchain/openai), or use harness 'ai-sdk'.",
    )
  }
  if (
    typeof model !== 'object' ||
    model === null ||
    typeof candidate?.invoke !== 'function' ||
    typeof candidate?.bindTools !== 'function'
  ) {
    throw new InvalidArgumentError(
      'model',
      "The harness 'deepagents' needs a LangChain chat model object that supports tool calling (bindTools), e.g. new ChatAnthropic() from @langchain/anthropic.",
    )
  }
}

function checkTools(tools: unknown): void {
  if (!Array.isArray(tools)) {
    throw new InvalidArgumentError(
      'tools',
      "With the harness 'deepagents', tools must be an array of LangChain tools (made with tool() from @langchain/core/tools).",
    )
  }
  for (const tool of tools as { name?: unknown; invoke?: unknown }[]) {
    if (typeof tool?.name !== 'string' || typeof tool.invoke !== 'function') {
      throw new InvalidArgumentError(
        'tools',
        'Every tool must be a LangChain tool (with a name and invoke()).',
      )
    }
    if (tool.name === RUN_CODE_TOOL_NAME) {
      throw new InvalidArgumentError(
        'tools',
        `The tool name '${RUN_CODE_TOOL_NAME}' is taken by PyFlue's run_code.`,
      )
    }
  }
}

async function prompt(input: HarnessPromptInput): Promise<HarnessPromptResult> {
  if (input.signal.aborted) throw createAbortError(input.signal)
  const history = mapStoredMessagesToChatMessages(input.messages as StoredMessage[])
  const user = new HumanMessage(input.text)
  const tools = [...((input.tools as DeepAgentParams['tools']) ?? [])]
  const responseFormat = input.result === undefined ? undefined : resultFormat(input.result)
  const common = {
    model: input.model as DeepAgentParams['model'],
    systemPrompt: input.system,
    tools,
    middleware: [promptSteps(input.maxSteps, history.length, input.commitStep)],
    ...(responseFormat ? { responseFormat } : {}),
  }
  const agent = input.pythonBackend
    ? createPyflueDeepAgent({
        ...common,
        pythonBackend: input.pythonBackend,
        ...(input.sandbox ? { sandbox: input.sandbox } : {}),
        maxOutputChars: input.maxOutputChars,
        ...(input.resourceLimits ? { resourceLimits: input.resourceLimits } : {}),
        onRun: ({ toolCallId, code, run, error, output }) =>
          input.onEvent({
            type: 'run-code',
            toolCallId,
            code,
            output,
            ...(run ? { run } : {}),
            ...(error !== undefined ? { error } : {}),
          }),
      } as Parameters<typeof createPyflueDeepAgent>[0])
    : createDeepAgent({
        ...common,
        ...(input.sandbox ? { backend: sandboxBackend(input.sandbox) } : {}),
      } as DeepAgentParams)
  try {
    const final = await runWithEvents(agent, [...history, user], input)
    const added = final.messages.slice(history.length)
    return resultOf(added, input.maxSteps, input.result === undefined ? undefined : final)
  } finally {
    await (agent as { close?: () => Promise<void> }).close?.()
  }
}

/** The graph's final state as the harness reads it. */
interface FinalState {
  messages: BaseMessage[]
  structuredResponse?: unknown
}

/** The node of a LangChain agent graph that calls the model (its tokens are the reply's text). */
const MODEL_NODE = 'model_request'

/**
 * Runs the agent with `streamMode: ['values', 'custom', 'messages']` over its subgraphs too, and
 * reports: each chunk of text the agent's own model streams (`text-delta`; a subagent's text is its
 * tool's result, not the reply), each tool call and result of the agent's own steps, and each chunk
 * `run_code` prints, in the agent or in a subagent. Returns the final state of the agent's graph.
 */
async function runWithEvents(
  agent: ReturnType<typeof createDeepAgent>,
  messages: BaseMessage[],
  input: HarnessPromptInput,
): Promise<FinalState> {
  const seen = new Set<BaseMessage>(messages)
  const calls = new Map<string, { toolName: string; input: unknown }>()
  let last: FinalState = { messages }
  const stream = await agent.stream(
    { messages },
    {
      configurable: { thread_id: input.sessionId },
      signal: input.signal,
      streamMode: ['values', 'custom', 'messages'],
      subgraphs: true,
      // The step limit ends the run; this only bounds the graph's own supersteps around it.
      recursionLimit: input.maxSteps * 10 + 20,
    },
  )
  for await (const [namespace, mode, chunk] of stream as AsyncIterable<[string[], string, unknown]>) {
    const own = namespace.length === 0
    if (mode === 'custom') {
      if (isRunCodeStdoutChunk(chunk)) {
        input.onEvent({ type: 'run-code-stdout', toolCallId: chunk.toolCallId, text: chunk.text })
      }
    } else if (mode === 'messages') {
      const [message, metadata] = chunk as [BaseMessage, { langgraph_node?: unknown }]
      if (!own || metadata?.langgraph_node !== MODEL_NODE || !AIMessage.isInstance(message)) continue
      const text = textOf(message)
      if (text !== '') input.onEvent({ type: 'text-delta', text })
    } else if (own) {
      const state = chunk as Partial<FinalState>
      if (!Array.isArray(state.messages)) continue
      last = { messages: state.messages, structuredResponse: state.structuredResponse }
      for (const message of state.messages) {
        if (seen.has(message)) continue
        seen.add(message)
        for (const event of toolEventsOf(message, calls)) input.onEvent(event)
      }
    }
  }
  if (input.signal.aborted) throw createAbortError(input.signal)
  return last
}

/**
 * `input.result` as Deep Agents' `responseFormat`: its JSON Schema (from zod or a Standard JSON
 * Schema), titled `RESULT_TOOL_NAME` so the model's tool is named so. The session validates the
 * answer with the schema itself.
 */
function resultFormat(schema: unknown): DeepAgentParams['responseFormat'] {
  const standard = (schema as { '~standard'?: { jsonSchema?: unknown; vendor?: unknown } } | null)?.[
    '~standard'
  ]
  const convertible =
    standard !== undefined && (standard.vendor === 'zod' || standard.jsonSchema !== undefined)
  if (!convertible) {
    throw new InvalidArgumentError(
      'result',
      "The harness 'deepagents' needs a result schema it can turn into JSON Schema: a zod schema or a Standard JSON Schema.",
    )
  }
  const json = toJsonSchema(schema as Parameters<typeof toJsonSchema>[0]) as Record<string, unknown>
  const { $schema: _dialect, ...rest } = json
  return { ...rest, title: RESULT_TOOL_NAME } as unknown as DeepAgentParams['responseFormat']
}

/** The tool calls an AI message makes, or the result a tool message carries, as events. */
function toolEventsOf(
  message: BaseMessage,
  calls: Map<string, { toolName: string; input: unknown }>,
): HarnessEvent[] {
  const events: HarnessEvent[] = []
  if (AIMessage.isInstance(message)) {
    for (const call of message.tool_calls ?? []) {
      const toolCallId = call.id ?? ''
      calls.set(toolCallId, { toolName: call.name, input: call.args })
      events.push({ type: 'tool-call', toolCallId, toolName: call.name, input: call.args })
    }
  } else if (message.getType() === 'tool') {
    const toolCallId = String((message as { tool_call_id?: unknown }).tool_call_id ?? '')
    const call = calls.get(toolCallId)
    const base = { toolCallId, toolName: call?.toolName ?? String(message.name ?? ''), input: call?.input }
    if ((message as { status?: unknown }).status === 'error') {
      events.push({ type: 'tool-error', ...base, error: textOf(message) })
    } else {
      events.push({ type: 'tool-result', ...base, output: textOf(message) })
    }
  }
  return events
}

/**
 * Before each model call after the first: commits the prompt so far (`commit`, awaited: the
 * messages after the `historyLength` earlier ones), then ends the run once `maxSteps` model calls
 * were made since the user's message (counted from the state, so nothing extra is kept in it).
 */
function promptSteps(maxSteps: number, historyLength: number, commit: HarnessPromptInput['commitStep']) {
  return createMiddleware({
    name: 'PyflueSteps',
    beforeModel: {
      canJumpTo: ['end'],
      hook: async (state: { messages: BaseMessage[] }) => {
        const calls = modelCallsOfRun(state.messages)
        if (calls > 0) await commit(storedMessages(state.messages.slice(historyLength)))
        if (calls >= maxSteps) return { jumpTo: 'end' as const }
        return undefined
      },
    },
  })
}

/** LangChain messages as plain JSON stored messages (what the session keeps). */
function storedMessages(messages: BaseMessage[]): unknown[] {
  return mapChatMessagesToStoredMessages(messages).map((stored) => JSON.parse(JSON.stringify(stored)))
}

function modelCallsOfRun(messages: readonly BaseMessage[]): number {
  let calls = 0
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!
    if (message.getType() === 'human') break
    if (AIMessage.isInstance(message)) calls += 1
  }
  return calls
}

/** The prompt's result from the messages it added (and, for `result`, the final state's structured answer). */
function resultOf(
  added: BaseMessage[],
  maxSteps: number,
  final: FinalState | undefined,
): HarnessPromptResult {
  const lastMessage = added.at(-1)
  const modelCalls = added.filter((message) => AIMessage.isInstance(message))
  const structured = final !== undefined && final.structuredResponse !== undefined
  const endedOnTools = !structured && lastMessage !== undefined && lastMessage.getType() === 'tool'
  const stepsExhausted = endedOnTools && modelCalls.length >= maxSteps
  const lastAi = modelCalls.at(-1)
  let inputTokens = 0
  let outputTokens = 0
  let totalTokens = 0
  let reported = false
  for (const message of modelCalls) {
    const usage = (message as AIMessage).usage_metadata
    if (!usage) continue
    reported = true
    inputTokens += usage.input_tokens
    outputTokens += usage.output_tokens
    totalTokens += usage.total_tokens
  }
  return {
    text: structured
      ? JSON.stringify(final.structuredResponse)
      : endedOnTools || !lastAi
        ? ''
        : textOf(lastAi),
    messages: storedMessages(added),
    finishReason: endedOnTools ? 'tool-calls' : finishReasonOf(lastAi as AIMessage | undefined),
    stepsExhausted,
    ...(final !== undefined ? { result: final.structuredResponse } : {}),
    usage: reported
      ? { inputTokens, outputTokens, totalTokens }
      : { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined },
  }
}

function finishReasonOf(message: AIMessage | undefined): HarnessFinishReason {
  const metadata = (message?.response_metadata ?? {}) as Record<string, unknown>
  const reason = metadata.finish_reason ?? metadata.stop_reason
  if (reason === 'length' || reason === 'max_tokens') return 'length'
  if (reason === 'content_filter') return 'content-filter'
  return 'stop'
}
