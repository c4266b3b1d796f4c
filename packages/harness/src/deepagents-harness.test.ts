// `init({ harness: 'deepagents' })`: the name resolves to @pyflue/deepagents (a devDependency
// here, found the way an application's would be) through core's registry, and sessions prompt
// LangChain's fakeModel() on Deep Agents, with run_code in the session's Monty, Deep Agents' file
// tools in its virtual sandbox, and the store keeping messages and Python state.
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager'
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base'
import { BaseChatModel } from '@langchain/core/language_models/chat_models'
import { AIMessage, AIMessageChunk, type BaseMessage } from '@langchain/core/messages'
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs'
import type { Runnable } from '@langchain/core/runnables'
import { fakeModel } from '@langchain/core/testing'
import { tool } from '@langchain/core/tools'
import {
  InMemorySessionStore,
  InvalidArgumentError,
  NotConfiguredError,
  ResultValidationError,
  type SessionRecord,
} from '@pyflue/core'
import { RESULT_TOOL_NAME } from '@pyflue/deepagents'
import { jsonSchema } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from './init.js'
import type { RunCodeEvent } from './run-code-tool.js'
import type { SessionEvent } from './session-events.js'
import { scriptedModel } from './testing/scripted-model.js'

let calls = 0

/** An AI message that calls one tool. */
function toolCallMessage(name: string, args: Record<string, unknown>): AIMessage {
  calls += 1
  return new AIMessage({ content: '', tool_calls: [{ name, args, id: `call-${calls}`, type: 'tool_call' }] })
}

/** A final answer that quotes the last tool result, as a model that read it would. */
function answerWithLastToolResult(messages: BaseMessage[]): AIMessage {
  return new AIMessage(`The tool said: ${messages.at(-1)?.text ?? ''}`)
}

const textOf = (message: BaseMessage) => message.text

/**
 * A scripted chat model that streams each reply word by word (its tool calls on the last chunk),
 * as a provider's model streams tokens. LangChain's own fakes stream either not at all
 * (`fakeModel()`) or the same reply every call (`FakeStreamingChatModel`).
 */
class WordStreamingModel extends BaseChatModel {
  readonly #replies: AIMessage[]
  readonly #next: { index: number }

  constructor(replies: AIMessage[], next = { index: 0 }) {
    super({})
    this.#replies = replies
    this.#next = next
  }

  _llmType(): string {
    return 'word-streaming-fake'
  }

  override bindTools(): Runnable<BaseLanguageModelInput, AIMessageChunk> {
    return new WordStreamingModel(this.#replies, this.#next).withConfig({})
  }

  #reply(): AIMessage {
    const reply = this.#replies[this.#next.index++]
    if (!reply) throw new Error('WordStreamingModel: no reply left')
    return reply
  }

  async _generate(): Promise<ChatResult> {
    const reply = this.#reply()
    return { generations: [{ text: reply.text, message: reply }] }
  }

  override async *_streamResponseChunks(
    _messages: BaseMessage[],
    _options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const reply = this.#reply()
    const words = reply.text.split(/(?<= )/)
    for (const [i, word] of words.entries()) {
      const toolCalls = i === words.length - 1 ? (reply.tool_calls ?? []) : []
      const chunk = new ChatGenerationChunk({
        text: word,
        message: new AIMessageChunk({
          content: word,
          tool_call_chunks: toolCalls.map((call, index) => ({
            name: call.name,
            args: JSON.stringify(call.args),
            id: call.id,
            index,
            type: 'tool_call_chunk' as const,
          })),
        }),
      })
      yield chunk
      await runManager?.handleLLMNewToken(word, undefined, undefined, undefined, undefined, { chunk })
    }
  }
}

describe("@pyflue/harness with harness: 'deepagents'", () => {
  it('a prompt runs on Deep Agents: the model calls run_code in the session namespace and answers', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: 'answer = 6 * 7\nanswer' } }])
      .respond(answerWithLastToolResult)
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty', sandbox: 'virtual' })
    try {
      const session = await agent.session('s1')
      const reply = await session.prompt('What is six times seven?')
      expect(reply.text).toBe('The tool said: result: 42')
      expect(reply.finishReason).toBe('stop')
      expect(reply.stepsExhausted).toBe(false)
      // The session's own namespace holds what the model's Python made.
      expect((await session.runPython('answer + 1')).result).toBe(43)
      // History: the user's message, the tool call, its result, the answer (LangChain stored messages).
      expect(reply.messages.map((m) => (m as unknown as { type: string }).type)).toEqual([
        'human',
        'ai',
        'tool',
        'ai',
      ])
      expect(session.messages).toEqual(reply.messages)
    } finally {
      await agent.close()
    }
  })

  it("Deep Agents' file tools and Python see the session's sandbox files", async () => {
    const model = fakeModel()
      .respondWithTools([
        {
          name: 'run_code',
          args: { code: "from pathlib import Path\nPath('/from-python.txt').write_text('py wrote this')" },
        },
      ])
      .respondWithTools([{ name: 'read_file', args: { file_path: '/from-python.txt' } }])
      .respond(answerWithLastToolResult)
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty', sandbox: 'virtual' })
    try {
      const session = await agent.session('files')
      const reply = await session.prompt('write a file from Python, then read it')
      expect(reply.text).toContain('py wrote this')
      expect(await session.readFile('/from-python.txt')).toBe('py wrote this')
    } finally {
      await agent.close()
    }
  })

  it("without a Python backend, Deep Agents' tools work in the sandbox under the agent's policy", async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'write_file', args: { file_path: '/notes.txt', content: 'kept' } }])
      .respondWithTools([{ name: 'execute', args: { command: 'cat /notes.txt' } }])
      .respond(answerWithLastToolResult)
    const agent = await init({
      harness: 'deepagents',
      model,
      sandbox: 'virtual',
      sandboxPolicy: { allowShell: false },
    })
    try {
      const session = await agent.session('policy')
      const reply = await session.prompt('write a note, then cat it')
      expect(await session.readFile('/notes.txt')).toBe('kept')
      expect(reply.text).toMatch(/refused|disabled/i)
      expect(reply.text).toContain('126')
    } finally {
      await agent.close()
    }
  })

  it('messages and Python state persist through the store and continue in a new agent', async () => {
    const store = new InMemorySessionStore()
    const first = await init({
      harness: 'deepagents',
      model: fakeModel()
        .respondWithTools([{ name: 'run_code', args: { code: 'total = 40 + 2\ntotal' } }])
        .respond(answerWithLastToolResult),
      pythonBackend: 'monty',
      store,
    })
    await (await first.session('kept')).prompt('remember 42')
    await first.close()

    let seen: BaseMessage[] = []
    const second = await init({
      harness: 'deepagents',
      model: fakeModel()
        .respond((messages) => {
          seen = messages
          return toolCallMessage('run_code', { code: 'total * 2' })
        })
        .respond(answerWithLastToolResult),
      pythonBackend: 'monty',
      store,
    })
    try {
      const session = await second.session('kept')
      expect(session.messages).toHaveLength(4)
      expect((await session.runPython('total')).result).toBe(42)
      const reply = await session.prompt('double it')
      expect(reply.text).toBe('The tool said: result: 84')
      // The model read the earlier exchange, rebuilt from the store's messages.
      const texts = seen.map(textOf)
      expect(texts).toContain('remember 42')
      expect(texts).toContain('The tool said: result: 42')
      expect(texts.at(-1)).toBe('double it')
      expect(session.messages).toHaveLength(8)
    } finally {
      await second.close()
    }
  })

  it('LangChain tools given to init() are callable by the model and from Python', async () => {
    const calls: string[] = []
    const shout = tool(
      async ({ word }: { word: string }) => {
        calls.push(word)
        return word.toUpperCase()
      },
      { name: 'shout', description: 'Upper-cases a word.', schema: z.object({ word: z.string() }) },
    )
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: "shout(word='deep') + '!'" } }])
      .respond(answerWithLastToolResult)
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty', tools: [shout] })
    try {
      const reply = await (await agent.session('tools')).prompt('shout deep')
      expect(reply.text).toBe("The tool said: result: 'DEEP!'")
      expect(calls).toEqual(['deep'])
    } finally {
      await agent.close()
    }
  })

  it('stops after maxSteps model calls with stepsExhausted, and streams the steps as events', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: '1 + 1' } }])
      .respondWithTools([{ name: 'run_code', args: { code: '2 + 2' } }])
      .respond(answerWithLastToolResult)
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty', maxSteps: 2 })
    try {
      const stream = (await agent.session('steps')).stream('count')
      const events: SessionEvent[] = []
      for await (const event of stream) events.push(event)
      const reply = await stream.reply
      expect(reply).toMatchObject({ stepsExhausted: true, finishReason: 'tool-calls', text: '' })
      // The fake model also says something with each tool call: one text-delta per step.
      expect(events.map((e) => e.type)).toEqual([
        'text-delta',
        'tool-call',
        'tool-result',
        'text-delta',
        'tool-call',
        'tool-result',
        'steps-exhausted',
        'finish',
      ])
      expect(events[2]).toMatchObject({ toolName: 'run_code', output: 'result: 2' })
    } finally {
      await agent.close()
    }
  })

  it('abort() stops a Deep Agents prompt with an AbortError and leaves the history as it was', async () => {
    let abort = () => {}
    const model = fakeModel()
      .respond(() => {
        abort()
        return toolCallMessage('run_code', { code: 'x = 1' })
      })
      .respond(answerWithLastToolResult)
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty' })
    try {
      const session = await agent.session('abort')
      abort = () => session.abort()
      await expect(session.prompt('start')).rejects.toMatchObject({ name: 'AbortError' })
      expect(session.messages).toEqual([])
      await expect(session.runPython('x')).rejects.toThrow(/NameError/)
    } finally {
      await agent.close()
    }
  })

  it('refuses an AI SDK model, non-LangChain tools and a result schema it cannot use, with typed errors', async () => {
    const aiSdk = init({ harness: 'deepagents', model: scriptedModel(() => ({ text: 'hi' })) })
    await expect(aiSdk).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(aiSdk).rejects.toThrow("The harness 'deepagents' drives a LangChain chat model")
    await expect(init({ harness: 'deepagents', model: 'openai:gpt-5.5' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    )
    await expect(init({ harness: 'deepagents', tools: { shout: {} } as never })).rejects.toThrow(
      'tools must be an array of LangChain tools',
    )
    const agent = await init({ harness: 'deepagents', model: fakeModel().respond(answerWithLastToolResult) })
    try {
      const session = await agent.session('options')
      // An AI SDK jsonSchema() is no Standard Schema: the session cannot validate with it.
      await expect(session.prompt('hi', { result: jsonSchema({ type: 'object' }) })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        argument: 'result',
      })
      await expect(session.prompt('hi', { onRunCode: 'log' as never })).rejects.toThrow(
        'onRunCode must be a function',
      )
      expect(session.messages).toEqual([])
    } finally {
      await agent.close()
    }
    const withoutModel = await init({ harness: 'deepagents' })
    await expect((await withoutModel.session('none')).prompt('hi')).rejects.toBeInstanceOf(NotConfiguredError)
    await withoutModel.close()
  })

  it('commits each step that called tools before the next model call, so a failure mid-prompt keeps it', async () => {
    const store = new InMemorySessionStore()
    // The second model call reads the store as it is at that moment: what a process killed then leaves.
    let atSecondCall: Promise<SessionRecord | undefined> | undefined
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: 'kept = 6 * 7' } }])
      .respond(() => {
        atSecondCall = store.load('crash')
        return new Error('the provider went away')
      })
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty', store })
    try {
      const session = await agent.session('crash')
      await expect(session.prompt('compute and keep it')).rejects.toThrow('the provider went away')
      const saved = await atSecondCall
      expect(saved?.messages.map((m) => (m as { type: string }).type)).toEqual(['human', 'ai', 'tool'])
      expect(saved?.python).toBeDefined()
      expect(session.messages).toHaveLength(3)
    } finally {
      await agent.close()
    }
    const again = await init({ harness: 'deepagents', model: fakeModel(), pythonBackend: 'monty', store })
    try {
      const session = await again.session('crash')
      expect(session.messages.map((m) => (m as unknown as { type: string }).type)).toEqual([
        'human',
        'ai',
        'tool',
      ])
      expect((await session.runPython('kept')).result).toBe(42)
    } finally {
      await again.close()
    }
  })

  it('onRunCode receives every run_code call with its code, run and the text the model read', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: 'print("hi")\n2 + 3' } }])
      .respondWithTools([{ name: 'run_code', args: { code: '1 / 0' } }])
      .respond(answerWithLastToolResult)
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty' })
    try {
      const runs: RunCodeEvent[] = []
      const reply = await (await agent.session('on-run')).prompt('two runs', {
        onRunCode: (e) => runs.push(e),
      })
      expect(reply.text).toContain('ZeroDivisionError')
      expect(runs).toHaveLength(2)
      expect(runs[0]).toMatchObject({ code: 'print("hi")\n2 + 3', run: { result: 5, stdout: 'hi\n' } })
      expect(runs[0]!.output).toContain('result: 5')
      expect(runs[0]!.toolCallId).not.toBe('')
      expect(runs[1]!.error).toBeDefined()
      expect(runs[1]!.output).toContain('ZeroDivisionError')
      const toolCallIds = reply.messages
        .filter((m) => (m as unknown as { type: string }).type === 'tool')
        .map((m) => (m as unknown as { data: { tool_call_id: string } }).data.tool_call_id)
      expect(runs.map((r) => r.toolCallId)).toEqual(toolCallIds)
    } finally {
      await agent.close()
    }
  })

  it('result: the model answers through the result tool, the reply is validated with the schema', async () => {
    const schema = z.object({ city: z.string(), population: z.number().int() })
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: '2_100_000' } }])
      .respondWithTools([{ name: RESULT_TOOL_NAME, args: { city: 'Paris', population: 2100000 } }])
      .respondWithTools([{ name: RESULT_TOOL_NAME, args: { city: 'Lyon', population: 1 } }])
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty' })
    try {
      const session = await agent.session('typed')
      const reply = await session.prompt('Biggest city in France?', { result: schema })
      expect(reply.result).toEqual({ city: 'Paris', population: 2100000 })
      const city: string = reply.result.city
      expect(city).toBe('Paris')
      expect(JSON.parse(reply.text)).toEqual({ city: 'Paris', population: 2100000 })
      expect(reply.finishReason).toBe('stop')
      const kept = session.messages.length
      await expect(
        // JSON Schema cannot say this; the session's validation with the schema itself does.
        session.prompt('again', {
          result: z.object({ city: z.string().refine((c) => c === 'Paris'), population: z.number() }),
        }),
      ).rejects.toBeInstanceOf(ResultValidationError)
      expect(session.messages).toHaveLength(kept)
    } finally {
      await agent.close()
    }
  })

  it("streams the text a streaming model gives chunk by chunk, then the step's tool calls", async () => {
    const model = new WordStreamingModel([
      new AIMessage({
        content: 'Let me compute it.',
        tool_calls: [{ name: 'run_code', args: { code: '6 * 7' }, id: 'call-w1', type: 'tool_call' }],
      }),
      new AIMessage('The answer is 42, computed in Python.'),
    ])
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty' })
    try {
      const stream = (await agent.session('words')).stream('six times seven?')
      const events: SessionEvent[] = []
      for await (const event of stream) events.push(event)
      const reply = await stream.reply
      expect(reply.text).toBe('The answer is 42, computed in Python.')
      const deltas = events.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text)
      expect(deltas).toEqual([
        'Let ',
        'me ',
        'compute ',
        'it.',
        'The ',
        'answer ',
        'is ',
        '42, ',
        'computed ',
        'in ',
        'Python.',
      ])
      const types = events.map((e) => e.type)
      // The first step's text streamed before its tool call; the result came before the answer's text.
      expect(types.indexOf('tool-call')).toBe(4)
      expect(events[types.indexOf('tool-result')]).toMatchObject({
        toolName: 'run_code',
        output: 'result: 42',
      })
      expect(types.indexOf('tool-result')).toBeLessThan(types.lastIndexOf('text-delta'))
    } finally {
      await agent.close()
    }
  })

  it("streams what a subagent's run_code prints; the subagent's own text is not the reply's", async () => {
    const model = fakeModel()
      .respondWithTools([
        { name: 'task', args: { description: 'print two lines', subagent_type: 'general-purpose' } },
      ])
      .respondWithTools([{ name: 'run_code', args: { code: 'print("sub 1")\nprint("sub 2")\n"ok"' } }])
      .respond(() => new AIMessage('subagent finished'))
      .respond(() => new AIMessage('main finished'))
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty' })
    try {
      const stream = (await agent.session('sub-stdout')).stream('delegate the printing')
      const events: SessionEvent[] = []
      for await (const event of stream) events.push(event)
      const reply = await stream.reply
      expect(reply.text).toBe('main finished')
      const printed = events.filter((e) => e.type === 'run-code-stdout')
      expect(printed.map((e) => (e as { text: string }).text).join('')).toBe('sub 1\nsub 2\n')
      const text = events.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text)
      expect(text.join('')).toContain('main finished')
      expect(text.join('')).not.toContain('subagent finished')
      // The subagent's answer is the task tool's result; its run_code call is not a step of the prompt.
      expect(
        events.filter((e) => e.type === 'tool-call').map((e) => (e as { toolName: string }).toolName),
      ).toEqual(['task'])
      expect(events.find((e) => e.type === 'tool-result')).toMatchObject({ toolName: 'task' })
    } finally {
      await agent.close()
    }
  })

  it("streams what run_code's Python prints while it runs, between the call and its result", async () => {
    const model = fakeModel()
      .respondWithTools([
        { name: 'run_code', args: { code: 'for i in range(3):\n    print("line", i)\n"done"' } },
      ])
      .respond(answerWithLastToolResult)
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty' })
    try {
      const stream = (await agent.session('stdout')).stream('print three lines')
      const events: SessionEvent[] = []
      for await (const event of stream) events.push(event)
      await stream.reply
      const types = events.map((e) => e.type)
      const call = types.indexOf('tool-call')
      const result = types.indexOf('tool-result')
      const printed = events.filter((e) => e.type === 'run-code-stdout')
      expect(printed.map((e) => (e as { text: string }).text).join('')).toBe('line 0\nline 1\nline 2\n')
      for (const e of printed) {
        expect(types.indexOf(e.type)).toBeGreaterThan(call)
        expect(events.indexOf(e)).toBeLessThan(result)
        expect((e as { toolCallId: string }).toolCallId).toBe(
          (events[call] as { toolCallId: string }).toolCallId,
        )
      }
    } finally {
      await agent.close()
    }
  })
})
