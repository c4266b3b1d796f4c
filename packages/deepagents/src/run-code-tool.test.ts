import { type BaseMessage, HumanMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { tool } from '@langchain/core/tools'
import { montyBackend } from '@pyflue/backend-monty'
import type { PythonBackend } from '@pyflue/core'
import { createDeepAgent } from 'deepagents'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { runCodeTool } from './index.js'
import { answerWithLastToolResult, toolCallMessage, toolMessages } from './messages.test-helpers.js'

let python: PythonBackend
beforeEach(async () => {
  python = await montyBackend().createBackend({ sessionId: 'run-code-test' })
})
afterEach(async () => {
  await python.close()
})

describe('runCodeTool in a real Deep Agent driven by a fake model', () => {
  it('the model calls run_code and answers with its result', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: 'print("working")\nsum(range(10))' } }])
      .respond(answerWithLastToolResult)
    const agent = createDeepAgent({ model, tools: [runCodeTool(python)] })
    const result = await agent.invoke({ messages: [new HumanMessage('Add 0..9')] })
    expect(toolMessages(result.messages)).toEqual(['stdout:\nworking\nresult: 45'])
    expect(result.messages.at(-1)?.content).toBe('The tool said: stdout:\nworking\nresult: 45')
  })

  it('a Python error goes back to the model with its traceback, and the model recovers', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: 'rows = [1, 2]\nrows[5]' } }])
      .respond((messages: BaseMessage[]) => {
        const last = String(messages.at(-1)?.content)
        expect(last).toContain('IndexError')
        return toolCallMessage('run_code', { code: 'rows = [1, 2]\nrows[-1]' })
      })
      .respond(answerWithLastToolResult)
    const agent = createDeepAgent({ model, tools: [runCodeTool(python)] })
    const result = await agent.invoke({ messages: [new HumanMessage('last row?')] })
    const [failed, fixed] = toolMessages(result.messages)
    expect(failed).toMatch(/^error:\n[\s\S]*IndexError/)
    expect(fixed).toBe('result: 2')
    // The failed run left nothing behind, the second one defined rows.
    expect((await python.run('rows')).result).toEqual([1, 2])
  })

  it('caps long output with a marker that says how much was cut', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: '"x" * 5000' } }])
      .respond(answerWithLastToolResult)
    const agent = createDeepAgent({ model, tools: [runCodeTool(python, { maxOutputChars: 500 })] })
    const result = await agent.invoke({ messages: [new HumanMessage('long')] })
    const [output] = toolMessages(result.messages)
    expect(output!.length).toBeLessThanOrEqual(500)
    expect(output).toMatch(/\[\.\.\. \d+ characters truncated \.\.\.\]/)
    expect(output!.startsWith("result: 'xxx")).toBe(true)
  })

  it('LangChain tools are callable from Python inside run_code', async () => {
    const calls: unknown[] = []
    const price = tool(
      async ({ item, quantity }) => {
        calls.push({ item, quantity })
        if (item === 'plum') throw new Error('no such item: plum')
        return { apple: 0.5, pear: 0.75 }[item]! * (quantity ?? 1)
      },
      {
        name: 'price',
        description: 'The price of some units of an item.',
        schema: z.object({ item: z.string(), quantity: z.number().int().optional() }),
      },
    )
    const code = [
      'total = price(item="apple", quantity=4) + price("pear")',
      'try:',
      '    price(item="plum")',
      '    missing = None',
      'except Exception as error:',
      '    missing = str(error)',
      '(total, missing)',
    ].join('\n')
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code } }])
      .respond(answerWithLastToolResult)
    const runCode = runCodeTool(python, { tools: [price] })
    expect(runCode.description).toContain(
      'def price(item: str, quantity: int | None = None) -> Any  # The price of some units of an item.',
    )
    const agent = createDeepAgent({ model, tools: [price, runCode] })
    const result = await agent.invoke({ messages: [new HumanMessage('cost?')] })
    expect(calls).toEqual([
      { item: 'apple', quantity: 4 },
      { item: 'pear', quantity: undefined },
      { item: 'plum', quantity: undefined },
    ])
    const [output] = toolMessages(result.messages)
    expect(output).toBe("result: (2.75, 'no such item: plum')")
  })

  it('describes external functions with their Python signatures and the given variables', () => {
    const runCode = runCodeTool(python, {
      externalFunctions: {
        double: {
          description: 'Doubles a number.',
          parameters: z.object({ value: z.number().int() }),
          returns: 'int',
          execute: ({ value }: { value: number }) => value * 2,
        },
      },
      variables: [{ name: 'rows', type: 'list', preview: '[1, 2]' }],
    })
    expect(runCode.name).toBe('run_code')
    expect(runCode.description).toContain('def double(value: int) -> int  # Doubles a number.')
    expect(runCode.description).toContain('rows: list = [1, 2]')
    expect(runCode.description).toContain('Monty')
  })

  it('an abort of the graph stops a busy run, and the namespace stays as before it', async () => {
    const controller = new AbortController()
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: 'partial = 1\nstop()\nwhile True:\n    pass' } }])
      .respond(answerWithLastToolResult)
    const runCode = runCodeTool(python, {
      externalFunctions: { stop: () => controller.abort(new Error('user pressed stop')) },
      resourceLimits: { maxDurationSecs: 600 },
    })
    const agent = createDeepAgent({ model, tools: [runCode] })
    await expect(
      agent.invoke({ messages: [new HumanMessage('spin')] }, { signal: controller.signal }),
    ).rejects.toSatisfy(isAbort)
    expect(model.callCount).toBe(1) // the model never saw an answer to the aborted call
    await expect(python.run('partial')).rejects.toThrow(/NameError/)
  })

  it('refuses unknown options, naming the closest one', () => {
    expect(() => runCodeTool(python, { maxOutputChar: 10 } as never)).toThrow(/maxOutputChars/)
    expect(() => runCodeTool({} as never)).toThrow(/PythonBackend/)
  })
})

/** An abort as LangGraph or the backend reports it: an `AbortError`, or the abort's reason. */
function isAbort(error: unknown): boolean {
  const { name, message } = error as Error
  return name === 'AbortError' || /user pressed stop|abort/i.test(message)
}
