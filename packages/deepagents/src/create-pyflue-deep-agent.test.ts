import { HumanMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { tool } from '@langchain/core/tools'
import { Command, MemorySaver } from '@langchain/langgraph'
import { montyBackend } from '@pyflue/backend-monty'
import { InvalidArgumentError } from '@pyflue/core'
import { createVirtualSandbox } from '@pyflue/sandbox-virtual'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createPyflueDeepAgent, type PyflueDeepAgent, pythonThreads } from './index.js'
import { answerWithLastToolResult, textOf, toolCallMessage, toolMessages } from './messages.test-helpers.js'

const onThread = (threadId: string) => ({ configurable: { thread_id: threadId } })
const ask = (text: string) => ({ messages: [new HumanMessage(text)] })

async function using<T>(agent: PyflueDeepAgent, fn: (agent: PyflueDeepAgent) => Promise<T>): Promise<T> {
  try {
    return await fn(agent)
  } finally {
    await agent.close()
  }
}

describe('createPyflueDeepAgent', () => {
  it('continues the Python namespace on the same thread and isolates other threads', async () => {
    const seen: string[] = []
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: 'total = 40 + 2\ntotal' } }])
      .respond(answerWithLastToolResult)
      .respond(() => {
        // The description the model reads on thread a lists that thread's variables.
        seen.push(agent.runCodeTool.description)
        return toolCallMessage('run_code', { code: 'total * 2' })
      })
      .respond(answerWithLastToolResult)
      .respond(() => {
        seen.push(agent.runCodeTool.description)
        return toolCallMessage('run_code', { code: 'total' })
      })
      .respond(answerWithLastToolResult)
    const agent = createPyflueDeepAgent({
      model,
      pythonBackend: montyBackend(),
      checkpointer: new MemorySaver(),
    })
    await using(agent, async () => {
      const first = await agent.invoke(ask('remember 42'), onThread('a'))
      expect(textOf(first.messages.at(-1))).toBe('The tool said: result: 42')
      const second = await agent.invoke(ask('double it'), onThread('a'))
      expect(textOf(second.messages.at(-1))).toBe('The tool said: result: 84')
      const other = await agent.invoke(ask('and here?'), onThread('b'))
      expect(textOf(other.messages.at(-1))).toMatch(/NameError/)
      expect(agent.python.threadIds().sort()).toEqual(['a', 'b'])
    })
    expect(seen[0]).toContain('total: int = 42')
    expect(seen[1]).not.toContain('total')
  })

  it('lets a subagent use run_code, in its caller thread', async () => {
    const model = fakeModel()
      .respondWithTools([
        {
          name: 'task',
          args: { description: 'Count the vowels in "deep agents"', subagent_type: 'general-purpose' },
        },
      ])
      .respondWithTools([
        {
          name: 'run_code',
          args: { code: 'vowels = len([c for c in "deep agents" if c in "aeiou"])\nvowels' },
        },
      ])
      .respond(answerWithLastToolResult)
      .respond(answerWithLastToolResult)
    const agent = createPyflueDeepAgent({ model, pythonBackend: montyBackend() })
    await using(agent, async () => {
      const result = await agent.invoke(ask('delegate'), onThread('t1'))
      expect(toolMessages(result.messages)).toEqual(['The tool said: result: 4'])
      const python = await agent.python.backendFor('t1')
      expect((await python.run('vowels')).result).toBe(4)
    })
  })

  it('gives custom subagents with their own tools run_code too', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'task', args: { description: 'compute', subagent_type: 'calculator' } }])
      .respondWithTools([{ name: 'run_code', args: { code: '2 ** 10' } }])
      .respond(answerWithLastToolResult)
      .respond(answerWithLastToolResult)
    const agent = createPyflueDeepAgent({
      model,
      pythonBackend: montyBackend(),
      subagents: [
        { name: 'calculator', description: 'Computes things.', systemPrompt: 'Compute.', tools: [] },
      ],
    })
    await using(agent, async () => {
      const result = await agent.invoke(ask('compute'))
      expect(toolMessages(result.messages)).toEqual(['The tool said: result: 1024'])
    })
  })

  it('wires a sandbox: a name-resolved backend, file tools and execute on the files Python sees', async () => {
    const sandbox = await createVirtualSandbox({ files: { 'in.txt': 'alpha\nbeta\n' } })
    const lookup = tool(async ({ word }) => word.length, {
      name: 'word_length',
      description: 'Length of a word.',
      schema: z.object({ word: z.string() }),
    })
    const model = fakeModel()
      .respondWithTools([
        {
          name: 'run_code',
          args: {
            code: [
              'from pathlib import Path',
              "words = Path('/in.txt').read_text().split()",
              "Path('/out.txt').write_text(','.join(f'{w}={word_length(word=w)}' for w in words))",
            ].join('\n'),
          },
        },
      ])
      .respondWithTools([{ name: 'read_file', args: { file_path: '/out.txt' } }])
      .respondWithTools([{ name: 'execute', args: { command: 'cat out.txt' } }])
      .respond(answerWithLastToolResult)
    const agent = createPyflueDeepAgent({ model, pythonBackend: 'monty', sandbox, tools: [lookup] })
    try {
      const result = await agent.invoke(ask('lengths'))
      const [ran, read, executed] = toolMessages(result.messages)
      expect(ran).toBe('result: 14') // write_text returns the characters written
      expect(read).toContain('alpha=5,beta=4')
      expect(executed).toBe('alpha=5,beta=4\n[Command succeeded with exit code 0]')
      expect(await sandbox.readFile('/out.txt')).toBe('alpha=5,beta=4')
    } finally {
      await agent.close()
      await sandbox.close()
    }
  })

  it('keeps a thread across agents through saveState and loadState', async () => {
    const saved = new Map<string, Uint8Array>()
    const persistence = {
      loadState: (id: string) => saved.get(id),
      saveState: (id: string, state: Uint8Array) => {
        saved.set(id, state)
      },
    }
    const first = createPyflueDeepAgent({
      model: fakeModel()
        .respondWithTools([
          { name: 'run_code', args: { code: 'def greet(n):\n    return "hi " + n\nname = "ada"' } },
        ])
        .respond(answerWithLastToolResult),
      pythonBackend: montyBackend(),
      ...persistence,
    })
    await using(first, (agent) => agent.invoke(ask('define'), onThread('kept')))
    expect(saved.has('kept')).toBe(true)

    const second = createPyflueDeepAgent({
      model: fakeModel()
        .respondWithTools([{ name: 'run_code', args: { code: 'greet(name)' } }])
        .respond(answerWithLastToolResult),
      pythonBackend: montyBackend(),
      ...persistence,
    })
    const result = await using(
      second,
      async (agent) => (await agent.invoke(ask('use'), onThread('kept'))).messages,
    )
    expect(textOf(result.at(-1))).toBe("The tool said: result: 'hi ada'")
  })

  it('passes interrupts through: run_code waits for approval, and runs once approved', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: 'approved = True\n"ran"' } }])
      .respond(answerWithLastToolResult)
    const agent = createPyflueDeepAgent({
      model,
      pythonBackend: montyBackend(),
      checkpointer: new MemorySaver(),
      interruptOn: { run_code: true },
    })
    await using(agent, async () => {
      const paused = await agent.invoke(ask('run it'), onThread('hitl'))
      expect(JSON.stringify(paused.__interrupt__)).toContain('approved = True')
      const python = await agent.python.backendFor('hitl')
      await expect(python.run('approved')).rejects.toThrow(/NameError/) // nothing ran yet
      const resumed = await agent.invoke(
        new Command({ resume: { decisions: [{ type: 'approve' }] } }),
        onThread('hitl'),
      )
      expect(textOf(resumed.messages.at(-1))).toBe("The tool said: result: 'ran'")
      expect((await python.run('approved')).result).toBe(true)
    })
  })

  it('answers a thread whose state cannot be loaded with the error, and the agent goes on', async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: '1 + 1' } }])
      .respond(answerWithLastToolResult)
    const agent = createPyflueDeepAgent({
      model,
      pythonBackend: montyBackend(),
      loadState: () => new Uint8Array([1, 2, 3]),
    })
    await using(agent, async () => {
      const result = await agent.invoke(ask('add'), onThread('broken'))
      expect(toolMessages(result.messages)[0]).toMatch(/^error:\n.*STATE_FORMAT/)
    })
  })

  it("takes pythonThreads with a sandbox: its sandbox is the file tools' too", async () => {
    const sandbox = await createVirtualSandbox({ files: { 'a.txt': 'from the sandbox' } })
    const threads = pythonThreads(montyBackend(), { sandbox })
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: "open('/a.txt').read()" } }])
      .respondWithTools([{ name: 'ls', args: { path: '/' } }])
      .respond(answerWithLastToolResult)
    const agent = createPyflueDeepAgent({ model, pythonBackend: threads })
    try {
      const result = await agent.invoke(ask('read'))
      const [python, listing] = toolMessages(result.messages)
      expect(python).toBe("result: 'from the sandbox'")
      expect(listing).toContain('/a.txt')
      await agent.close() // the threads are the caller's: still open
      expect((await (await threads.backendFor('x')).run('1')).result).toBe(1)
      const other = await createVirtualSandbox()
      expect(() => createPyflueDeepAgent({ pythonBackend: threads, sandbox: other })).toThrow(/other files/)
      await other.close()
    } finally {
      await threads.close()
      await sandbox.close()
    }
  })

  it('refuses contradictory or missing options', async () => {
    const sandbox = await createVirtualSandbox()
    try {
      expect(() => createPyflueDeepAgent({} as never)).toThrow(InvalidArgumentError)
      expect(() =>
        createPyflueDeepAgent({ pythonBackend: montyBackend(), sandbox, backend: {} as never }),
      ).toThrow(/either sandbox/)
      const clash = tool(async () => 1, { name: 'run_code', description: 'x', schema: z.object({}) })
      expect(() => createPyflueDeepAgent({ pythonBackend: montyBackend(), tools: [clash] })).toThrow(/taken/)
    } finally {
      await sandbox.close()
    }
  })
})
