import { generateText, stepCountIs, tool } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from './init.js'
import { runCodeTool } from './run-code-tool.js'
import type { SessionEvent } from './session-events.js'
import { type ScriptContext, scriptedModel } from './testing/scripted-model.js'

const lastOutput = (context: ScriptContext): string => String(context.toolResults.at(-1)?.output ?? '')

describe('run_code in the model loop', () => {
  it('the model calls run_code, reads the result and answers', async () => {
    const model = scriptedModel([
      {
        toolCalls: [
          {
            toolName: 'run_code',
            input: { code: 'values = [3, 4, 5]\nprint(len(values))\nsum(v * v for v in values)' },
          },
        ],
      },
      (context) => ({ text: `The tool said:\n${lastOutput(context)}` }),
    ])
    const session = await (await init({ model, pythonBackend: 'monty' })).session('loop')
    const reply = await session.prompt('What is the sum of squares of 3, 4 and 5?')
    expect(reply.text).toContain('stdout:\n3')
    expect(reply.text).toContain('result: 50')
    expect(reply.steps).toHaveLength(2)
    expect(reply.steps[0]?.toolCalls[0]?.toolName).toBe('run_code')
    // the variable persists in the session
    const run = await session.runPython('values')
    expect(run.result).toEqual([3, 4, 5])
  })

  it('a Python error goes back to the model with its traceback, and the model recovers', async () => {
    const seen: string[] = []
    const model = scriptedModel([
      {
        toolCalls: [
          { toolName: 'run_code', input: { code: 'def ratio(a, b):\n    return a / b\n\nratio(1, 0)' } },
        ],
      },
      (context) => {
        seen.push(lastOutput(context))
        // a failed run leaves the namespace as it was, so the fix defines the function again
        return {
          toolCalls: [
            {
              toolName: 'run_code',
              input: { code: 'def ratio(a, b):\n    return a / b if b else None\n\nratio(1, 4)' },
            },
          ],
        }
      },
      (context) => ({ text: `Fixed: ${lastOutput(context)}` }),
    ])
    const session = await (await init({ model, pythonBackend: 'monty' })).session('recover')
    const reply = await session.prompt('Compute a ratio')
    expect(seen[0]).toContain('Traceback (most recent call last):')
    expect(seen[0]).toContain('ZeroDivisionError')
    expect(seen[0]).toMatch(/line 2, in ratio/)
    expect(reply.text).toBe('Fixed: result: 0.25')
  })

  it('application tools are callable from inside run_code as Python functions', async () => {
    const calls: string[] = []
    const price = tool({
      description: 'The price of an item in cents.',
      inputSchema: z.object({ item: z.string() }),
      execute: async ({ item }) => {
        calls.push(item)
        return { apple: 120, pear: 95, fig: 300 }[item] ?? 0
      },
    })
    let description = ''
    const model = scriptedModel([
      (context) => {
        description = context.tools.find((t) => t.name === 'run_code')?.description ?? ''
        return {
          toolCalls: [
            {
              toolName: 'run_code',
              input: {
                code: "items = ['apple', 'pear', 'fig']\ntotal = sum(price(item=i) for i in items)\ntotal + price('apple')",
              },
            },
          ],
        }
      },
      (context) => ({ text: lastOutput(context) }),
    ])
    const session = await (await init({ model, pythonBackend: 'monty', tools: { price } })).session('ptc')
    const reply = await session.prompt('Total price?')
    expect(calls).toEqual(['apple', 'pear', 'fig', 'apple'])
    expect(reply.text).toBe('result: 635')
    expect(description).toMatch(/def price\(item: str\)/)
    expect(description).toContain('The price of an item in cents.')
    // the model also gets the tool directly
    expect(reply.steps[0]?.request).toBeDefined()
  })

  it('an error thrown by an application tool is a Python exception the code can catch', async () => {
    const failing = tool({
      description: 'Always fails.',
      inputSchema: z.object({}),
      execute: async (): Promise<string> => {
        throw new Error('service unavailable')
      },
    })
    const model = scriptedModel([
      {
        toolCalls: [
          {
            toolName: 'run_code',
            input: {
              code: "try:\n    failing()\n    out = 'no error'\nexcept Exception as e:\n    out = 'caught: ' + str(e)\nout",
            },
          },
        ],
      },
      (context) => ({ text: lastOutput(context) }),
    ])
    const session = await (await init({ model, pythonBackend: 'monty', tools: { failing } })).session(
      'tool-error',
    )
    const reply = await session.prompt('go')
    expect(reply.text).toContain('caught: ')
    expect(reply.text).toContain('service unavailable')
  })

  it('stream shows the application tools that run_code called, inside that call, with results and errors', async () => {
    const double = tool({
      description: 'Doubles a number.',
      inputSchema: z.object({ n: z.number() }),
      execute: async ({ n }) => n * 2,
    })
    const refuse = tool({
      description: 'Always fails.',
      inputSchema: z.object({}),
      execute: async (): Promise<number> => {
        throw new Error('no')
      },
    })
    const model = scriptedModel([
      {
        toolCalls: [
          {
            toolName: 'run_code',
            input: { code: 'a = double(n=4)\ntry:\n    refuse()\nexcept Exception:\n    pass\na' },
          },
        ],
      },
      (context) => ({ text: lastOutput(context) }),
    ])
    const session = await (await init({ model, pythonBackend: 'monty', tools: { double, refuse } })).session(
      'ptc-events',
    )
    const events: SessionEvent[] = []
    for await (const event of session.stream('go')) events.push(event)
    const runCall = events.find((e) => e.type === 'tool-call' && e.toolName === 'run_code')
    expect(runCall).toBeDefined()
    const runId = (runCall as { toolCallId: string }).toolCallId
    const inner = events.filter((e) => e.type.startsWith('python-tool'))
    expect(inner).toEqual([
      {
        type: 'python-tool-call',
        toolCallId: runId,
        callId: `${runId}:double:1`,
        toolName: 'double',
        input: { n: 4 },
      },
      {
        type: 'python-tool-result',
        toolCallId: runId,
        callId: `${runId}:double:1`,
        toolName: 'double',
        input: { n: 4 },
        output: 8,
      },
      {
        type: 'python-tool-call',
        toolCallId: runId,
        callId: `${runId}:refuse:2`,
        toolName: 'refuse',
        input: {},
      },
      expect.objectContaining({ type: 'python-tool-error', toolCallId: runId, toolName: 'refuse' }),
    ])
    const order = events.map((e) => e.type)
    expect(order.indexOf('tool-call')).toBeLessThan(order.indexOf('python-tool-call'))
    expect(order.lastIndexOf('python-tool-error')).toBeLessThan(order.indexOf('tool-result'))
  })

  it('lists session variables in the run_code description and truncates long output with a marker', async () => {
    let description = ''
    const model = scriptedModel([
      (context) => {
        description = context.tools.find((t) => t.name === 'run_code')?.description ?? ''
        return { toolCalls: [{ toolName: 'run_code', input: { code: "print('x' * 5000)" } }] }
      },
      (context) => ({ text: lastOutput(context) }),
    ])
    const agent = await init({ model, pythonBackend: 'monty', maxOutputChars: 500 })
    const session = await agent.session('vars')
    await session.runPython("city_names = ['Oslo', 'Lima']")
    const reply = await session.prompt('Print a lot')
    expect(description).toMatch(/city_names: list/)
    expect(reply.text.length).toBeLessThan(600)
    expect(reply.text).toMatch(/\[\.\.\. \d+ characters truncated \.\.\.\]/)
  })

  it('runCodeTool(session) works as a plain AI SDK tool in any generateText call', async () => {
    const session = await (await init({ pythonBackend: 'monty' })).session('plain-tool')
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'python', input: { code: 'answer = 6 * 7\nanswer' } }] },
      (context) => ({ text: lastOutput(context) }),
    ])
    const result = await generateText({
      model,
      prompt: 'Multiply',
      tools: { python: runCodeTool(session) },
      stopWhen: stepCountIs(3),
    })
    expect(result.text).toBe('result: 42')
    expect((await session.runPython('answer')).result).toBe(42)
  })

  it('runCodeTool accepts a bare PythonBackend', async () => {
    const { montyBackend } = await import('@pyflue/backend-monty')
    const backend = await montyBackend().createBackend({ sessionId: 'bare' })
    try {
      const python = runCodeTool(backend)
      const output = await python.execute!({ code: 'print("hi")\n1 + 1' }, { toolCallId: 't1', messages: [] })
      expect(output).toBe('stdout:\nhi\nresult: 2')
    } finally {
      await backend.close()
    }
  })
})
