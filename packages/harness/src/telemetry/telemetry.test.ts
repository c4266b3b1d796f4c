import { AIMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import {
  InMemorySessionStore as ContractInMemoryStore,
  createTelemetry,
  InvalidArgumentError,
  ResourceLimitError,
  SessionConflictError,
  Telemetry,
} from '@pyflue/core'
import { ancestorNames, memoryTelemetry, oneSpan, parentOf, spansNamed } from '@pyflue/test-support'
import { tool } from 'ai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from '../init.js'
import { InMemorySessionStore, type SessionRecord } from '../session-store.js'
import { scriptedModel } from '../testing/scripted-model.js'

const otel = memoryTelemetry
const named = spansNamed
const one = (spans: ReadableSpan[], name: string) => {
  expect(spansNamed(spans, name), `spans named ${name}`).toHaveLength(1)
  return oneSpan(spans, name)
}
const ancestors = ancestorNames

const lookup = tool({
  description: 'Looks a key up.',
  inputSchema: z.object({ key: z.string() }),
  execute: async ({ key }) => `value-${key}`,
})

describe('telemetry', () => {
  const contextManager = new AsyncLocalStorageContextManager()
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable())
  })
  afterAll(() => {
    context.disable()
  })

  it('a prompt that runs code calling a tool, then a shell command, yields the span tree and metrics', async () => {
    const { tracer, meter, spans, sum } = otel()
    const code = "marker_7731 = lookup(key='a')\nmarker_7731"
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code } }] },
      { toolCalls: [{ toolName: 'bash', input: { command: 'echo secret_word_5519' } }] },
      { text: 'done' },
    ])
    const agent = await init({
      model,
      pythonBackend: 'monty',
      sandbox: 'virtual',
      tools: { lookup },
      telemetry: { tracer, meter },
    })
    const session = await agent.session('traced')
    const reply = await session.prompt('look it up')
    expect(reply.text).toBe('done')
    await agent.close()
    const all = spans()

    const prompt = one(all, 'pyflue.session.prompt')
    expect(prompt.parentSpanContext).toBeUndefined()
    expect(prompt.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.conversation.id': 'traced',
      'pyflue.prompt.streamed': false,
      'pyflue.prompt.steps': 3,
      'pyflue.prompt.steps_exhausted': false,
      'gen_ai.response.finish_reasons': ['stop'],
      'pyflue.outcome': 'ok',
    })
    // The AI SDK's own spans nest inside the prompt.
    expect(parentOf(all, one(all, 'ai.generateText'))?.name).toBe('pyflue.session.prompt')
    expect(named(all, 'ai.generateText.doGenerate')).toHaveLength(3)

    const runCode = one(all, 'execute_tool run_code')
    expect(runCode.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'run_code',
      'gen_ai.tool.call.id': 'call-1',
    })
    expect(ancestors(all, runCode)).toContain('pyflue.session.prompt')
    const run = one(all, 'pyflue.python.run')
    expect(parentOf(all, run)?.name).toBe('execute_tool run_code')
    expect(run.attributes).toMatchObject({
      'pyflue.python.backend': 'monty',
      'pyflue.python.code.length': code.length,
      'pyflue.python.script_name': '<run_code>',
      'pyflue.outcome': 'ok',
    })
    expect(run.attributes['pyflue.python.code']).toBeUndefined()
    const call = one(all, 'pyflue.python.external_call')
    expect(call.attributes['pyflue.python.function.name']).toBe('lookup')
    expect(parentOf(all, call)?.name).toBe('pyflue.python.run')

    const exec = one(all, 'pyflue.sandbox.exec')
    expect(parentOf(all, exec)?.name).toBe('execute_tool bash')
    expect(exec.attributes).toMatchObject({
      'pyflue.sandbox.name': 'virtual',
      'pyflue.sandbox.command': 'echo',
      'pyflue.sandbox.exit_code': 0,
      'pyflue.outcome': 'ok',
    })
    expect(exec.attributes['pyflue.sandbox.command.text']).toBeUndefined()

    const saves = named(all, 'pyflue.store.save')
    expect(saves.length).toBeGreaterThan(0)
    expect(saves.every((span) => span.attributes['gen_ai.conversation.id'] === 'traced')).toBe(true)
    expect(one(all, 'pyflue.store.load').attributes['pyflue.store.found']).toBe(false)

    // Neither the code nor the command's text is recorded anywhere, the AI SDK's spans included.
    const recorded = JSON.stringify(all.map((span) => span.attributes))
    expect(recorded).not.toContain('marker_7731')
    expect(recorded).not.toContain('secret_word_5519')

    expect(
      await sum('pyflue.python.runs', { 'pyflue.python.backend': 'monty', 'pyflue.outcome': 'ok' }),
    ).toBe(1)
    expect(await sum('pyflue.python.run.duration', { 'pyflue.outcome': 'ok' })).toBe(1)
    expect(
      await sum('pyflue.sandbox.commands', { 'pyflue.sandbox.name': 'virtual', 'pyflue.outcome': 'ok' }),
    ).toBe(1)
    expect(await sum('pyflue.python.limit_hits')).toBe(0)
    expect(await sum('pyflue.aborts')).toBe(0)
  })

  it('a streamed prompt is traced the same way; file tools are pyflue.sandbox.file spans', async () => {
    const { tracer, spans } = otel()
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'write', input: { path: 'notes.txt', content: 'hi' } }] },
      { text: 'written' },
    ])
    const agent = await init({ model, sandbox: 'virtual', telemetry: { tracer } })
    const session = await agent.session('streamed')
    const stream = session.stream('write it')
    for await (const _ of stream) {
      // drain
    }
    expect((await stream.reply).text).toBe('written')
    const written = session.sandbox!.resolvePath('notes.txt')
    await agent.close()
    const all = spans()
    const prompt = one(all, 'pyflue.session.prompt')
    expect(prompt.attributes).toMatchObject({ 'pyflue.prompt.streamed': true, 'pyflue.prompt.steps': 2 })
    expect(parentOf(all, one(all, 'ai.streamText'))?.name).toBe('pyflue.session.prompt')
    const write = named(all, 'pyflue.sandbox.file').find(
      (s) => s.attributes['pyflue.sandbox.operation'] === 'writeFile',
    )
    expect(write?.attributes['pyflue.sandbox.path']).toBe(written)
    expect(ancestors(all, write!)).toEqual(
      expect.arrayContaining(['execute_tool write', 'pyflue.session.prompt']),
    )
  })

  it("a prompt on the 'deepagents' harness: the prompt span holds the Python run", async () => {
    const { tracer, spans } = otel()
    const model = fakeModel()
      .respondWithTools([{ name: 'run_code', args: { code: 'answer = 6 * 7\nanswer' } }])
      .respond(new AIMessage('forty-two'))
    const agent = await init({ harness: 'deepagents', model, pythonBackend: 'monty', telemetry: { tracer } })
    const session = await agent.session('deep')
    expect((await session.prompt('six times seven?')).text).toBe('forty-two')
    await agent.close()
    const all = spans()
    const prompt = one(all, 'pyflue.session.prompt')
    expect(prompt.attributes).toMatchObject({ 'gen_ai.conversation.id': 'deep', 'pyflue.outcome': 'ok' })
    expect(ancestors(all, one(all, 'pyflue.python.run'))).toContain('pyflue.session.prompt')
  })

  it('records the code and the command text only with recordCode', async () => {
    const { tracer, spans } = otel()
    const agent = await init({
      pythonBackend: 'monty',
      sandbox: 'virtual',
      telemetry: { tracer, recordCode: true },
    })
    const session = await agent.session('recorded')
    await session.runPython('x = 40 + 2')
    await session.shell('echo  hello   there')
    await agent.close()
    expect(one(spans(), 'pyflue.python.run').attributes['pyflue.python.code']).toBe('x = 40 + 2')
    expect(one(spans(), 'pyflue.sandbox.exec').attributes).toMatchObject({
      'pyflue.sandbox.command': 'echo',
      'pyflue.sandbox.command.text': 'echo  hello   there',
    })
  })

  it('a limit hit is an ERROR span with the limit, and counted by limit', async () => {
    const { tracer, meter, spans, sum } = otel()
    const agent = await init({ pythonBackend: 'monty', telemetry: { tracer, meter } })
    const session = await agent.session('limited')
    const failure = await session
      .runPython('items = [str(i) for i in range(100000)]', { resourceLimits: { maxAllocations: 1000 } })
      .catch((error: unknown) => error)
    await agent.close()
    expect(failure).toBeInstanceOf(ResourceLimitError)
    const run = one(spans(), 'pyflue.python.run')
    expect(run.status).toEqual({ code: 2, message: 'ResourceLimitError' })
    expect(run.attributes).toMatchObject({
      'pyflue.outcome': 'limit',
      'pyflue.python.limit': 'maxAllocations',
      'error.type': 'ResourceLimitError',
    })
    expect(await sum('pyflue.python.limit_hits', { 'pyflue.python.limit': 'maxAllocations' })).toBe(1)
    expect(await sum('pyflue.python.runs', { 'pyflue.outcome': 'limit' })).toBe(1)
    expect(await sum('pyflue.python.runs', { 'pyflue.outcome': 'ok' })).toBe(0)
  })

  it('a Python exception is an ERROR span with its type; a failing command is outcome error, not ERROR', async () => {
    const { tracer, meter, spans, sum } = otel()
    const agent = await init({ pythonBackend: 'monty', sandbox: 'virtual', telemetry: { tracer, meter } })
    const session = await agent.session('failing')
    await expect(session.runPython('1 / 0')).rejects.toMatchObject({ excType: 'ZeroDivisionError' })
    const shell = await session.shell('ls /no-such-directory')
    await agent.close()
    expect(shell.exitCode).not.toBe(0)
    const run = one(spans(), 'pyflue.python.run')
    expect(run.status.code).toBe(2)
    expect(run.attributes).toMatchObject({
      'pyflue.outcome': 'error',
      'error.type': 'PythonRuntimeError',
      'pyflue.python.exception_type': 'ZeroDivisionError',
    })
    const exec = one(spans(), 'pyflue.sandbox.exec')
    expect(exec.status.code).toBe(0)
    expect(exec.attributes).toMatchObject({
      'pyflue.outcome': 'error',
      'pyflue.sandbox.exit_code': shell.exitCode,
      'pyflue.sandbox.command': 'ls',
    })
    expect(await sum('pyflue.python.runs', { 'pyflue.outcome': 'error' })).toBe(1)
    expect(await sum('pyflue.sandbox.commands', { 'pyflue.outcome': 'error' })).toBe(1)
  })

  it('an abort is an ERROR span on the prompt and the run, and counted for both', async () => {
    const { tracer, meter, spans, sum } = otel()
    let abort = () => {}
    let calls = 0
    const tick = tool({
      description: 'Ticks.',
      inputSchema: z.object({}),
      execute: async () => {
        calls += 1
        if (calls === 3) abort()
        return 1
      },
    })
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code: 'n = 0\nwhile True:\n    n += tick()' } }] },
      { text: 'never reached' },
    ])
    const agent = await init({ model, pythonBackend: 'monty', tools: { tick }, telemetry: { tracer, meter } })
    const session = await agent.session('aborted')
    abort = () => session.abort()
    const failure = await session.prompt('loop').catch((error: unknown) => error)
    await agent.close()
    expect((failure as Error).name).toBe('AbortError')
    const all = spans()
    const prompt = one(all, 'pyflue.session.prompt')
    expect(prompt.status.code).toBe(2)
    expect(prompt.attributes).toMatchObject({ 'pyflue.outcome': 'aborted', 'error.type': 'AbortError' })
    const run = one(all, 'pyflue.python.run')
    expect(run.status.code).toBe(2)
    expect(run.attributes['pyflue.outcome']).toBe('aborted')
    expect(await sum('pyflue.aborts', { 'pyflue.operation': 'session.prompt' })).toBe(1)
    expect(await sum('pyflue.aborts', { 'pyflue.operation': 'python.run' })).toBe(1)
    expect(await sum('pyflue.python.runs', { 'pyflue.outcome': 'aborted' })).toBe(1)
  })

  it('counts saves refused with SessionConflictError', async () => {
    const { meter, sum } = otel()
    /** A store another writer has moved on from under this one after its first save. */
    class MovedOnStore extends InMemorySessionStore {
      saves = 0
      override async save(id: string, record: SessionRecord): Promise<void> {
        this.saves += 1
        if (this.saves > 1)
          throw new SessionConflictError({ sessionId: id, expectedVersion: 1, actualVersion: 2 })
        return super.save(id, record)
      }
    }
    const agent = await init({ pythonBackend: 'monty', store: new MovedOnStore(), telemetry: { meter } })
    const session = await agent.session('conflicted')
    await session.runPython('a = 1')
    await expect(session.runPython('a = 2')).rejects.toBeInstanceOf(SessionConflictError)
    await agent.close()
    expect(await sum('pyflue.store.conflicts')).toBe(1)
  })

  it("a core-contract store's lease is still released on close through the traced store", async () => {
    const { tracer, spans } = otel()
    const shared = new ContractInMemoryStore()
    const traced = await init({ pythonBackend: 'monty', store: shared, telemetry: { tracer } })
    const first = await traced.session('leased')
    await first.runPython('kept = 7')
    await first.close()
    // Another owner opens it at once (waitMs 0): the first owner's lease is gone.
    const other = await init({ pythonBackend: 'monty', store: shared })
    const second = await other.session('leased')
    expect((await second.runPython('kept')).result).toBe(7)
    await other.close()
    await traced.close()
    expect(named(spans(), 'pyflue.store.save').length).toBeGreaterThan(0)
  })

  it('off, nothing is wrapped: the session holds the sandbox and backend the factories made', async () => {
    const { virtualSandbox } = await import('@pyflue/sandbox-virtual')
    const { montyBackend } = await import('@pyflue/backend-monty')
    const sandboxes = virtualSandbox()
    const backends = montyBackend({ execution: 'in-thread-trusted-code-only' })
    const made: unknown[] = []
    const agent = await init({
      sandbox: { name: 'virtual', createSandbox: async (o) => recorded(await sandboxes.createSandbox(o)) },
      pythonBackend: { name: 'monty', createBackend: async (o) => recorded(await backends.createBackend(o)) },
    })
    function recorded<T>(value: T): T {
      made.push(value)
      return value
    }
    const session = await agent.session('plain')
    expect(made).toEqual([session.sandbox, session.pythonBackend])
    await agent.close()
    expect(await createTelemetry(undefined)).toBe(Telemetry.off)
    expect(await createTelemetry(false)).toBe(Telemetry.off)
    expect(Telemetry.off.enabled).toBe(false)
  })

  it('a backend and a sandbox with telemetry of their own are not instrumented again', async () => {
    const own = otel()
    const harness = otel()
    const { virtualSandbox } = await import('@pyflue/sandbox-virtual')
    const { montyBackend } = await import('@pyflue/backend-monty')
    const agent = await init({
      pythonBackend: montyBackend({
        execution: 'in-thread-trusted-code-only',
        telemetry: { tracer: own.tracer },
      }),
      sandbox: virtualSandbox({ telemetry: { tracer: own.tracer } }),
      sandboxPolicy: { allowedCommands: ['echo'] },
      telemetry: { tracer: harness.tracer },
    })
    const session = await agent.session('own')
    expect((await session.runPython('1 + 1')).result).toBe(2)
    expect((await session.shell('echo hi')).exitCode).toBe(0)
    await agent.close()
    expect(named(own.spans(), 'pyflue.python.run')).toHaveLength(1)
    expect(named(own.spans(), 'pyflue.sandbox.exec')).toHaveLength(1)
    expect(named(harness.spans(), 'pyflue.python.run')).toHaveLength(0)
    expect(named(harness.spans(), 'pyflue.sandbox.exec')).toHaveLength(0)
    expect(named(harness.spans(), 'pyflue.store.save').length).toBeGreaterThan(0)
  })

  it('refuses bad telemetry options', async () => {
    await expect(init({ telemetry: { tracr: {} } as never })).rejects.toThrow(/Did you mean `tracer`/)
    await expect(init({ telemetry: {} })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(init({ telemetry: { tracer: {} as never } })).rejects.toThrow(/OpenTelemetry Tracer/)
    await expect(init({ telemetry: { meter: { createCounter() {} } as never } })).rejects.toThrow(
      /OpenTelemetry Meter/,
    )
    await expect(init({ telemetry: 'on' as never })).rejects.toBeInstanceOf(InvalidArgumentError)
    // `true` takes the global providers of @opentelemetry/api (installed here; no-op ones until set).
    expect((await createTelemetry(true)).enabled).toBe(true)
  })
})
