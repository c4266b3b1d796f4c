// `init({ harness })`: the built-in AI SDK loop by default or by name, a third party's harness
// object (core's `Harness` contract) running a session's prompts, and typed errors for names and
// values that are not harnesses. (`'deepagents'` itself is tested in @pyflue/deepagents.)
import {
  HARNESS_CONTRACT_VERSION,
  type Harness,
  type HarnessPromptInput,
  InMemorySessionStore,
  InvalidArgumentError,
  NotRegisteredError,
  PyFlueRegistry,
} from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { init } from './init.js'
import type { SessionEvent } from './session-events.js'
import { scriptedModel } from './testing/scripted-model.js'

/**
 * A third party's harness: its "model" is a prefix string; each prompt runs the prompt text as
 * Python in the session's backend and answers with the prefix and the result.
 */
function pythonEchoHarness(seen: HarnessPromptInput[] = []): Harness {
  return {
    name: 'python-echo',
    contractVersion: HARNESS_CONTRACT_VERSION,
    checkModel(model) {
      if (typeof model !== 'string')
        throw new InvalidArgumentError('model', 'python-echo wants a string model.')
    },
    async prompt(input) {
      seen.push(input)
      const callId = `call-${input.messages.length}`
      input.onEvent({ type: 'tool-call', toolCallId: callId, toolName: 'python', input: input.text })
      const run = await input.pythonBackend!.run(input.text, { signal: input.signal })
      input.onEvent({
        type: 'tool-result',
        toolCallId: callId,
        toolName: 'python',
        input: input.text,
        output: run.result,
      })
      const text = `${String(input.model)} ${String(run.result)}`
      input.onEvent({ type: 'text-delta', text })
      return {
        text,
        messages: [
          { role: 'user', content: input.text },
          { role: 'assistant', content: text },
        ],
        finishReason: 'stop',
        stepsExhausted: false,
        usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      }
    },
  }
}

describe('init({ harness })', () => {
  it("a third party's Harness object runs the prompts, on the session's history, backend and store", async () => {
    const seen: HarnessPromptInput[] = []
    const store = new InMemorySessionStore()
    const agent = await init({
      harness: pythonEchoHarness(seen),
      model: 'answer:',
      pythonBackend: 'monty',
      instructions: 'Be brief.',
      store,
      maxSteps: 7,
    })
    const session = await agent.session('echo')
    const first = await session.prompt('x = 20 + 1\nx')
    expect(first).toMatchObject({
      text: 'answer: 21',
      finishReason: 'stop',
      stepsExhausted: false,
      steps: [],
    })
    expect(first.usage).toMatchObject({ inputTokens: 1, outputTokens: 2, totalTokens: 3 })
    // The model's Python ran in the session's namespace.
    expect((await session.runPython('x * 2')).result).toBe(42)
    const stream = session.stream('x + 1')
    const events: SessionEvent[] = []
    for await (const event of stream) events.push(event)
    expect(events.map((e) => e.type)).toEqual(['tool-call', 'tool-result', 'text-delta', 'finish'])
    expect(events[3]).toMatchObject({ type: 'finish', text: 'answer: 22', stepsExhausted: false })
    // The second prompt got the first's messages, the built system prompt and the limits.
    expect(seen[1]!.messages).toEqual(first.messages)
    expect(seen[1]!.system).toContain('Be brief.')
    expect(seen[1]!.system).not.toContain('run_code')
    expect(seen[1]).toMatchObject({ sessionId: 'echo', maxSteps: 7, tools: [] })
    expect(seen[1]!.signal).toBeInstanceOf(AbortSignal)
    await agent.close()
    // The store kept the messages and the Python state: a new agent continues them.
    const again = await init({ harness: pythonEchoHarness(), model: 'again:', pythonBackend: 'monty', store })
    const continued = await again.session('echo')
    expect(continued.messages).toHaveLength(4)
    expect((await continued.prompt('x')).text).toBe('again: 21')
    await again.close()
  })

  it('a reply that breaks the contract is refused and leaves the history as it was', async () => {
    const broken: Harness = {
      ...pythonEchoHarness(),
      prompt: async () =>
        ({ text: 'hi', messages: [], finishReason: 'stop', stepsExhausted: false }) as never,
    }
    const agent = await init({ harness: broken, model: 'm' })
    const session = await agent.session('broken')
    await expect(session.prompt('hello')).rejects.toThrow("The harness 'python-echo' returned no messages")
    expect(session.messages).toEqual([])
    await agent.close()
  })

  it('refuses result and onRunCode on a harness whose promptOptions do not list them, naming the option', async () => {
    const agent = await init({ harness: pythonEchoHarness(), model: 'm', pythonBackend: 'monty' })
    const session = await agent.session('options')
    for (const [key, value] of [
      ['result', { '~standard': { version: 1, vendor: 'x', validate: (v: unknown) => ({ value: v }) } }],
      ['onRunCode', () => {}],
    ] as const) {
      await expect(session.prompt('1', { [key]: value } as never)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        argument: key,
        message: expect.stringContaining(
          `The harness 'python-echo' does not support the prompt option ${key}`,
        ),
      })
      expect(() => session.stream('1', { [key]: value } as never)).not.toThrow()
    }
    expect(session.messages).toEqual([])
    await agent.close()
  })

  it("a harness's commitStep saves the steps at once; a commit that breaks the contract fails the prompt", async () => {
    const store = new InMemorySessionStore()
    const stepped: Harness = {
      ...pythonEchoHarness(),
      async prompt(input) {
        const step = [
          { role: 'user', content: input.text },
          { role: 'assistant', content: 'working' },
        ]
        await input.commitStep(step)
        const saved = await store.load('stepped')
        if (saved?.messages.length !== input.messages.length + 2) throw new Error('the step was not saved')
        if (input.text === 'bad') await input.commitStep([])
        return {
          ...(await pythonEchoHarness().prompt(input)),
          messages: [...step, { role: 'assistant', content: 'done' }],
        }
      },
    }
    const agent = await init({ harness: stepped, model: 'm', pythonBackend: 'monty', store })
    const session = await agent.session('stepped')
    expect((await session.prompt('1 + 1')).text).toBe('m 2')
    expect(session.messages).toHaveLength(3)
    await expect(session.prompt('bad')).rejects.toThrow("The harness 'python-echo' committed no messages")
    await agent.close()
  })

  it('abort() stops a prompt on a harness with an AbortError, and the session stays usable', async () => {
    let started!: () => void
    const running = new Promise<void>((resolve) => {
      started = resolve
    })
    const waiting: Harness = {
      ...pythonEchoHarness(),
      prompt: (input) =>
        new Promise((_, reject) => {
          started()
          input.signal.addEventListener('abort', () => reject(new Error('the harness saw the abort')))
        }),
    }
    const agent = await init({ harness: waiting, model: 'm' })
    const session = await agent.session('abort')
    const prompt = session.prompt('wait')
    await running
    session.abort()
    await expect(prompt).rejects.toMatchObject({ name: 'AbortError' })
    expect(session.messages).toEqual([])
    await agent.close()
  })

  it("checks the model with the harness's checkModel at init()", async () => {
    const refused = init({ harness: pythonEchoHarness(), model: scriptedModel(() => ({ text: 'x' })) })
    await expect(refused).rejects.toThrow('python-echo wants a string model.')
  })

  it("'ai-sdk' names the built-in loop, which is also the default", async () => {
    for (const harness of ['ai-sdk', undefined]) {
      const agent = await init({
        model: scriptedModel(() => ({ text: 'from the AI SDK loop' })),
        ...(harness ? { harness } : {}),
      })
      const reply = await (await agent.session('default')).prompt('hi')
      expect(reply.text).toBe('from the AI SDK loop')
      expect(reply.steps).toHaveLength(1)
      await agent.close()
    }
  })

  it('an unknown harness name is NotRegisteredError listing the known names; a non-harness is refused', async () => {
    const error = await init({ harness: 'langgraph' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NotRegisteredError)
    expect(error).toMatchObject({
      kind: 'harness',
      registeredName: 'langgraph',
      known: ['ai-sdk', 'deepagents'],
    })
    expect((error as Error).message).toBe(
      "No harness is registered as 'langgraph'. Known names: ai-sdk, deepagents.",
    )
    await expect(init({ harness: 42 as never })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(init({ harness: { name: 'x' } as never })).rejects.toThrow(
      'A harness must be an object with a prompt() method',
    )
  })

  it('a harness registered by name in a registry resolves through it', async () => {
    const registry = new PyFlueRegistry()
    registry.registerHarness('echo', () => pythonEchoHarness())
    const agent = await init({ harness: 'echo', registry, model: 'reg:', pythonBackend: 'monty' })
    expect((await (await agent.session('r')).prompt('1 + 1')).text).toBe('reg: 2')
    await agent.close()
  })
})
