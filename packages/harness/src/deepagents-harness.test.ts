// `init({ harness: 'deepagents' })`: the name resolves to @pyflue/deepagents (a devDependency
// here, found the way an application's would be) through core's registry, and sessions prompt
// LangChain's fakeModel() on Deep Agents, with run_code in the session's Monty, Deep Agents' file
// tools in its virtual sandbox, and the store keeping messages and Python state.
import { AIMessage, type BaseMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { tool } from '@langchain/core/tools'
import { InMemorySessionStore, InvalidArgumentError, NotConfiguredError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from './init.js'
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

  it('refuses an AI SDK model, non-LangChain tools and AI SDK-only prompt options with typed errors', async () => {
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
      await expect(session.prompt('hi', { result: z.object({}) })).rejects.toThrow(
        "The prompt option result needs the 'ai-sdk' harness",
      )
    } finally {
      await agent.close()
    }
    const withoutModel = await init({ harness: 'deepagents' })
    await expect((await withoutModel.session('none')).prompt('hi')).rejects.toBeInstanceOf(NotConfiguredError)
    await withoutModel.close()
  })
})
