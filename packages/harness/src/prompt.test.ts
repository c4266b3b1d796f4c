import { InvalidArgumentError, NotConfiguredError, ResultValidationError } from '@pyflue/core'
import { tool } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from './init.js'
import { InMemorySessionStore } from './session-store.js'
import { scriptedModel } from './testing/scripted-model.js'

describe('prompt without backend or sandbox', () => {
  it('returns text, steps and usage and keeps the history', async () => {
    const model = scriptedModel([
      (context) => ({ text: `You said: ${context.userText}` }),
      (context) => ({
        text: `History had ${context.options.prompt.filter((m) => m.role === 'user').length} user messages`,
      }),
    ])
    const agent = await init({ model })
    const session = await agent.session('plain')
    const first = await session.prompt('hello')
    expect(first.text).toBe('You said: hello')
    expect(first.steps).toHaveLength(1)
    expect(first.usage.inputTokens).toBeGreaterThan(0)
    expect(first.result).toBeUndefined()
    const second = await session.prompt('again')
    expect(second.text).toBe('History had 2 user messages')
    expect(session.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant'])
  })

  it('gives a typed reply through structured output', async () => {
    const model = scriptedModel([
      (context) => ({
        text: context.wantsJson ? JSON.stringify({ city: 'Paris', population: 2100000 }) : 'not json',
      }),
    ])
    const agent = await init({ model })
    const session = await agent.session('typed')
    const reply = await session.prompt('Biggest city in France?', {
      result: z.object({ city: z.string(), population: z.number().int() }),
    })
    expect(reply.result).toEqual({ city: 'Paris', population: 2100000 })
    const city: string = reply.result.city
    expect(city).toBe('Paris')
  })

  it('rejects a reply that does not match the schema with ResultValidationError and keeps the history', async () => {
    const model = scriptedModel([{ text: JSON.stringify({ city: 42 }) }])
    const session = await (await init({ model })).session('typed-bad')
    await expect(session.prompt('x', { result: z.object({ city: z.string() }) })).rejects.toBeInstanceOf(
      ResultValidationError,
    )
    expect(session.messages).toEqual([])
  })

  it('calls application tools the model asks for', async () => {
    const calls: string[] = []
    const weather = tool({
      description: 'Weather in a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        calls.push(city)
        return `sunny in ${city}`
      },
    })
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'weather', input: { city: 'Oslo' } }] },
      (context) => ({ text: `The tool said: ${String(context.toolResults[0]?.output)}` }),
    ])
    const session = await (await init({ model, tools: { weather } })).session('tools')
    const reply = await session.prompt('Weather in Oslo?')
    expect(calls).toEqual(['Oslo'])
    expect(reply.text).toBe('The tool said: sunny in Oslo')
  })

  it('needs a model only when prompting, and says how to configure one', async () => {
    const session = await (await init({})).session('no-model')
    await expect(session.prompt('hi')).rejects.toBeInstanceOf(NotConfiguredError)
    await expect(session.runPython('1')).rejects.toThrow(/pythonBackend: 'monty'/)
    await expect(session.readFile('a')).rejects.toThrow(/sandbox: 'virtual'/)
  })

  it('runs the prompts of one session one at a time, in call order', async () => {
    const seenHistory: number[] = []
    const model = scriptedModel((context) => {
      seenHistory.push(context.options.prompt.filter((m) => m.role === 'user').length)
      return { text: `answer to ${context.userText}` }
    })
    const session = await (await init({ model })).session('serial')
    const replies = await Promise.all([session.prompt('a'), session.prompt('b'), session.prompt('c')])
    expect(replies.map((r) => r.text)).toEqual(['answer to a', 'answer to b', 'answer to c'])
    expect(seenHistory).toEqual([1, 2, 3])
  })

  it('saves each prompt to the store, and refuses empty prompts', async () => {
    const store = new InMemorySessionStore()
    const session = await (await init({ model: scriptedModel([{ text: 'hi' }]), store })).session('saved')
    await session.prompt('hello')
    expect((await store.load('saved'))?.messages.map((m) => m.role)).toEqual(['user', 'assistant'])
    await expect(session.prompt('   ')).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
