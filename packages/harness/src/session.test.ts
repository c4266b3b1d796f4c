import { montyBackend } from '@pyflue/backend-monty'
import {
  ClosedError,
  InvalidArgumentError,
  PyFlueRegistry,
  type PythonBackendFactory,
  PythonRuntimeError,
  ResultValidationError,
  type SandboxFactory,
} from '@pyflue/core'
import { virtualSandbox } from '@pyflue/sandbox-virtual'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from './init.js'
import { scriptedModel } from './testing/scripted-model.js'

describe('agent.session', () => {
  it('returns the same session for the same id, concurrent calls included', async () => {
    let sandboxes = 0
    let backends = 0
    const countingSandbox: SandboxFactory = {
      name: 'counting',
      createSandbox: async (options) => {
        sandboxes++
        return virtualSandbox().createSandbox(options)
      },
    }
    const countingBackend: PythonBackendFactory = {
      name: 'counting',
      createBackend: async (options) => {
        backends++
        return montyBackend().createBackend(options)
      },
    }
    const agent = await init({ pythonBackend: countingBackend, sandbox: countingSandbox })
    const [a, b] = await Promise.all([agent.session('x'), agent.session('x')])
    expect(a).toBe(b)
    expect(await agent.session('x')).toBe(a)
    const other = await agent.session('y')
    expect(other).not.toBe(a)
    expect(sandboxes).toBe(2)
    expect(backends).toBe(2)
    await agent.close()
  })

  it('resolves registered names lazily through the given registry', async () => {
    const registry = new PyFlueRegistry()
    let loaded = 0
    registry.registerPythonBackend('my-python', () => {
      loaded++
      return montyBackend()
    })
    const agent = await init({ pythonBackend: 'my-python', registry })
    expect(loaded).toBe(1)
    const session = await agent.session('named')
    expect((await session.runPython('2 ** 10')).result).toBe(1024)
    await expect(init({ pythonBackend: 'nope', registry })).rejects.toThrow(
      /No Python backend is registered as 'nope'/,
    )
  })

  it('refuses bad ids and a closed agent', async () => {
    const agent = await init({})
    await expect(agent.session('')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(agent.session(42 as never)).rejects.toBeInstanceOf(InvalidArgumentError)
    await agent.close()
    await expect(agent.session('a')).rejects.toBeInstanceOf(ClosedError)
  })
})

describe('session methods', () => {
  it('runPython returns the run, or the validated value when result is given', async () => {
    const session = await (await init({ pythonBackend: 'monty' })).session('run')
    const run = await session.runPython('sum(values)', { inputs: { values: [1, 2, 3] } })
    expect(run.result).toBe(6)
    expect(run.backend).toBe('monty')
    const typed = await session.runPython("{'name': 'widget', 'price': 2.5}", {
      result: z.object({ name: z.string(), price: z.number() }),
    })
    expect(typed).toEqual({ name: 'widget', price: 2.5 })
    await expect(session.runPython("'x'", { result: z.number() })).rejects.toBeInstanceOf(
      ResultValidationError,
    )
    await expect(session.runPython('1 / 0')).rejects.toBeInstanceOf(PythonRuntimeError)
  })

  it('dumps and loads the Python state across sessions', async () => {
    const agent = await init({ pythonBackend: 'monty' })
    const a = await agent.session('a')
    await a.runPython('counter = 41')
    const bytes = await a.dumpPythonState()
    const b = await agent.session('b')
    await b.loadPythonState(bytes)
    expect((await b.runPython('counter + 1')).result).toBe(42)
  })

  it('registers dataclasses', async () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const session = await (await init({ pythonBackend: 'monty' })).session('dc')
    session.registerPythonDataclass(Point, { fields: ['x', 'y'] })
    const run = await session.runPython('p.x + p.y', { inputs: { p: new Point(2, 3) } })
    expect(run.result).toBe(5)
  })

  it('writes, reads and runs shell commands in the sandbox', async () => {
    const session = await (await init({ sandbox: 'virtual' })).session('files')
    await session.writeFile('data.txt', 'hello')
    expect(await session.readFile('data.txt')).toBe('hello')
    const listing = await session.shell('ls -la')
    expect(listing.exitCode).toBe(0)
    expect(listing.stdout).toContain('data.txt')
    const count = await session.shell('wc -c < data.txt')
    expect(count.stdout.trim()).toBe('5')
  })

  it('puts AGENTS.md and the instructions into the system prompt', async () => {
    let system = ''
    const model = scriptedModel([
      (context) => {
        system = context.system ?? ''
        return { text: 'ok' }
      },
    ])
    const agent = await init({
      model,
      sandbox: virtualSandbox({ files: { 'AGENTS.md': 'Always answer in French.' } }),
      instructions: 'Be brief.',
    })
    await (await agent.session('sys')).prompt('hi')
    expect(system).toContain('Always answer in French.')
    expect(system).toContain('Be brief.')
    expect(system.indexOf('Always answer in French.')).toBeLessThan(system.indexOf('Be brief.'))
  })

  it('gives the model run_code only with a backend and file tools only with a sandbox', async () => {
    const offered: string[][] = []
    const record = () => {
      const m = scriptedModel(() => ({ text: 'ok' }))
      const original = m.doGenerate
      m.doGenerate = async (options) => {
        offered.push((options.tools ?? []).map((t) => t.name).sort())
        return original(options)
      }
      return m
    }
    await (await (await init({ model: record() })).session('none')).prompt('a')
    await (await (await init({ model: record(), pythonBackend: 'monty' })).session('py')).prompt('a')
    await (await (await init({ model: record(), sandbox: 'virtual' })).session('sb')).prompt('a')
    expect(offered).toEqual([[], ['run_code'], ['bash', 'edit', 'glob', 'grep', 'read', 'write']])
  })

  it('refuses application tools named like a built-in tool', async () => {
    const { tool } = await import('ai')
    const clash = tool({ inputSchema: z.object({}), execute: async () => 1 })
    await expect(init({ tools: { run_code: clash } })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('close() closes the session; the store keeps it for the next open', async () => {
    const model = scriptedModel([
      { text: 'first' },
      (context) => ({ text: `seen ${context.options.prompt.length}` }),
    ])
    const agent = await init({ model, pythonBackend: 'monty' })
    const session = await agent.session('reopen')
    await session.runPython('kept = 7')
    await session.prompt('one')
    await session.close()
    await session.close()
    await expect(session.runPython('1')).rejects.toBeInstanceOf(ClosedError)
    const again = await agent.session('reopen')
    expect(again).not.toBe(session)
    expect((await again.runPython('kept')).result).toBe(7)
    const reply = await again.prompt('two')
    // system + user + assistant + user
    expect(reply.text).toBe('seen 4')
  })
})
