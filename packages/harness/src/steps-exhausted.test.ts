import { describe, expect, it } from 'vitest'
import { init } from './init.js'
import type { SessionEvent } from './session-events.js'
import { scriptedModel } from './testing/scripted-model.js'

/** A model (the AI SDK's MockLanguageModelV3 underneath) that never stops calling run_code. */
const tireless = () =>
  scriptedModel(() => ({ toolCalls: [{ toolName: 'run_code', input: { code: '1 + 1' } }] }))

describe('a prompt that reaches maxSteps', () => {
  it('prompt() says so: finishReason tool-calls and stepsExhausted', async () => {
    const agent = await init({ model: tireless(), pythonBackend: 'monty', maxSteps: 3 })
    const reply = await (await agent.session('tireless')).prompt('count forever')
    expect(reply.steps).toHaveLength(3)
    expect(reply.finishReason).toBe('tool-calls')
    expect(reply.stepsExhausted).toBe(true)
    expect(reply.text).toBe('')
    await agent.close()
  })

  it('a per-prompt maxSteps is the budget it is measured against', async () => {
    const agent = await init({ model: tireless(), pythonBackend: 'monty', maxSteps: 10 })
    const reply = await (await agent.session('budget')).prompt('count', { maxSteps: 2 })
    expect(reply.steps).toHaveLength(2)
    expect(reply.stepsExhausted).toBe(true)
    await agent.close()
  })

  it('stream() emits steps-exhausted before finish, and finish carries the flag', async () => {
    const agent = await init({ model: tireless(), pythonBackend: 'monty', maxSteps: 2 })
    const stream = (await agent.session('stream')).stream('count forever')
    const events: SessionEvent[] = []
    for await (const event of stream) events.push(event)
    const tail = events.slice(-2)
    expect(tail[0]).toEqual({ type: 'steps-exhausted', maxSteps: 2, steps: 2 })
    expect(tail[1]).toMatchObject({ type: 'finish', finishReason: 'tool-calls', stepsExhausted: true })
    expect((await stream.reply).stepsExhausted).toBe(true)
    await agent.close()
  })

  it('a prompt the model answers within its budget is not exhausted, and stream() emits no such event', async () => {
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code: '2' } }] },
      { text: 'two' },
    ])
    const agent = await init({ model, pythonBackend: 'monty', maxSteps: 2 })
    const session = await agent.session('answered')
    const stream = session.stream('what is two?')
    const events: SessionEvent[] = []
    for await (const event of stream) events.push(event)
    const reply = await stream.reply
    expect(reply.text).toBe('two')
    expect(reply.finishReason).toBe('stop')
    expect(reply.stepsExhausted).toBe(false)
    expect(events.some((e) => e.type === 'steps-exhausted')).toBe(false)
    expect(events.at(-1)).toMatchObject({ type: 'finish', stepsExhausted: false })
    await agent.close()
  })
})
