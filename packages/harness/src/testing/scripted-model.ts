import { simulateReadableStream } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'

type CallOptions = Parameters<MockLanguageModelV3['doGenerate']>[0]
type GenerateResult = Awaited<ReturnType<MockLanguageModelV3['doGenerate']>>
type StreamPart =
  Awaited<ReturnType<MockLanguageModelV3['doStream']>>['stream'] extends ReadableStream<infer P> ? P : never

/** One reply of a scripted model: some text, some tool calls, or both. */
export interface ScriptedTurn {
  text?: string
  toolCalls?: ReadonlyArray<{ toolName: string; input: Record<string, unknown> }>
}

/** A tool result the model received, read from the prompt. */
export interface ScriptedToolResult {
  toolCallId: string
  toolName: string
  /** The tool's output: the text for text outputs, the value for JSON outputs. */
  output: unknown
}

/** What a script function sees for each model request. */
export interface ScriptContext {
  /** 0-based index of this request among all requests this model answered. */
  call: number
  /** The text of the last user message. */
  userText: string
  /** The tool results after the model's last message (empty at the start of a prompt). */
  toolResults: ScriptedToolResult[]
  /** The system prompt, when there is one. */
  system: string | undefined
  /** The names of the tools offered, and their descriptions. */
  tools: ReadonlyArray<{ name: string; description: string | undefined }>
  /** True when the caller asked for JSON (a typed reply). */
  wantsJson: boolean
  /** The full request, for anything else. */
  options: CallOptions
}

/** A script: turns answered in order, or a function choosing each turn. */
export type Script =
  | ReadonlyArray<ScriptedTurn | ((context: ScriptContext) => ScriptedTurn)>
  | ((context: ScriptContext) => ScriptedTurn)

/**
 * A deterministic language model for tests and offline demos, built on the AI SDK's
 * `MockLanguageModelV3`: each request is answered by the next turn of `script` (or by calling
 * it), through `doGenerate` and `doStream` alike. Tool call ids are `call-1`, `call-2`, ….
 * Streams split text into word-sized deltas. A request past the end of a turn list is an error.
 */
export function scriptedModel(script: Script, options: { modelId?: string } = {}): MockLanguageModelV3 {
  let calls = 0
  let toolCallIds = 0
  const next = (
    callOptions: CallOptions,
  ): { content: GenerateResult['content']; finish: GenerateResult['finishReason'] } => {
    const context = readContext(callOptions, calls)
    calls += 1
    let step: ScriptedTurn | ((context: ScriptContext) => ScriptedTurn) | undefined
    if (typeof script === 'function') step = script
    else {
      step = script[context.call]
      if (step === undefined)
        throw new Error(`The scripted model has no turn ${context.call + 1} (it has ${script.length}).`)
    }
    const turn = typeof step === 'function' ? step(context) : step
    const content: GenerateResult['content'] = []
    if (turn.text !== undefined && turn.text !== '') content.push({ type: 'text', text: turn.text })
    for (const call of turn.toolCalls ?? []) {
      toolCallIds += 1
      content.push({
        type: 'tool-call',
        toolCallId: `call-${toolCallIds}`,
        toolName: call.toolName,
        input: JSON.stringify(call.input),
      })
    }
    const hasCalls = (turn.toolCalls?.length ?? 0) > 0
    return { content, finish: { unified: hasCalls ? 'tool-calls' : 'stop', raw: undefined } }
  }

  return new MockLanguageModelV3({
    provider: 'pyflue-scripted',
    modelId: options.modelId ?? 'scripted',
    doGenerate: async (callOptions) => {
      const { content, finish } = next(callOptions)
      return { content, finishReason: finish, usage: usageFor(callOptions, content), warnings: [] }
    },
    doStream: async (callOptions) => {
      const { content, finish } = next(callOptions)
      const chunks: StreamPart[] = [{ type: 'stream-start', warnings: [] }]
      content.forEach((part, index) => {
        if (part.type === 'text') {
          const id = `text-${index}`
          chunks.push({ type: 'text-start', id })
          for (const delta of part.text.match(/\S+\s*|\s+/g) ?? [])
            chunks.push({ type: 'text-delta', id, delta })
          chunks.push({ type: 'text-end', id })
        } else if (part.type === 'tool-call') {
          chunks.push(part)
        }
      })
      chunks.push({ type: 'finish', finishReason: finish, usage: usageFor(callOptions, content) })
      return { stream: simulateReadableStream({ chunks }) }
    },
  })
}

function readContext(options: CallOptions, call: number): ScriptContext {
  const prompt = options.prompt
  let system: string | undefined
  let userText = ''
  for (const message of prompt) {
    if (message.role === 'system') system = message.content
    if (message.role === 'user') {
      userText = message.content
        .filter((part) => part.type === 'text')
        .map((part) => (part as { text: string }).text)
        .join('')
    }
  }
  const toolResults: ScriptedToolResult[] = []
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i]!
    if (message.role !== 'tool') break
    for (const part of message.content) {
      if (part.type !== 'tool-result') continue
      const output = part.output as { type: string; value?: unknown; reason?: string }
      toolResults.unshift({
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        output: output.value ?? output.reason,
      })
    }
  }
  const tools = (options.tools ?? []).map((tool) => ({
    name: tool.name,
    description: tool.type === 'function' ? tool.description : undefined,
  }))
  return {
    call,
    userText,
    toolResults,
    system,
    tools,
    wantsJson: options.responseFormat?.type === 'json',
    options,
  }
}

function usageFor(options: CallOptions, content: GenerateResult['content']): GenerateResult['usage'] {
  const input = Math.ceil(JSON.stringify(options.prompt).length / 4)
  const output = Math.ceil(JSON.stringify(content).length / 4)
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  }
}
