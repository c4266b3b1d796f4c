import { tool } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from './init.js'
import type { SessionEvent } from './session-events.js'
import { scriptedModel } from './testing/scripted-model.js'

const isAbort = (error: unknown) => (error as { name?: string }).name === 'AbortError'

describe('abort', () => {
  it('session.abort() stops a prompt whose run_code is in a long Python run; the session stays usable', async () => {
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code: "n = 0\nwhile True:\n    n += 1" } }] },
      { text: 'never reached' },
    ])
    const agent = await init({ model, pythonBackend: 'monty', resourceLimits: { maxDurationSecs: 120 } })
    const session = await agent.session('abort-run')
    await session.runPython('before = 1')
    const stream = session.stream('loop forever')
    const events: SessionEvent[] = []
    const consumed = (async () => {
      for await (const event of stream) {
        events.push(event)
        if (event.type === 'tool-call') setTimeout(() => session.abort(), 50)
      }
    })()
    const [iteration, reply] = await Promise.allSettled([consumed, stream.reply])
    expect(iteration.status).toBe('rejected')
    expect(reply.status === 'rejected' && isAbort(reply.reason)).toBe(true)
    expect(events.some((e) => e.type === 'tool-call' && e.toolName === 'run_code')).toBe(true)
    expect(session.messages).toEqual([])
    expect((await session.runPython('before + 1')).result).toBe(2)
  })

  it('an AbortSignal stops a tool call that never finishes', async () => {
    let started!: () => void
    const startedPromise = new Promise<void>((resolve) => {
      started = resolve
    })
    const hang = tool({
      description: 'Never returns.',
      inputSchema: z.object({}),
      execute: () => {
        started()
        return new Promise<string>(() => {})
      },
    })
    const model = scriptedModel([{ toolCalls: [{ toolName: 'hang', input: {} }] }, { text: 'never' }])
    const session = await (await init({ model, tools: { hang } })).session('abort-tool')
    const controller = new AbortController()
    const prompt = session.prompt('wait', { signal: controller.signal })
    await startedPromise
    controller.abort(new Error('user cancelled'))
    const error = await prompt.catch((e: unknown) => e)
    expect(isAbort(error)).toBe(true)
    expect((error as Error).cause).toBeInstanceOf(Error)
  })

  it('an AbortSignal stops an application tool called from inside run_code', async () => {
    let started!: () => void
    const startedPromise = new Promise<void>((resolve) => {
      started = resolve
    })
    const hang = tool({
      description: 'Never returns.',
      inputSchema: z.object({}),
      execute: () => {
        started()
        return new Promise<number>(() => {})
      },
    })
    const model = scriptedModel([{ toolCalls: [{ toolName: 'run_code', input: { code: 'hang()' } }] }, { text: 'never' }])
    const session = await (await init({ model, pythonBackend: 'monty', tools: { hang } })).session('abort-ptc')
    const controller = new AbortController()
    const prompt = session.prompt('wait', { signal: controller.signal })
    await startedPromise
    controller.abort()
    expect(isAbort(await prompt.catch((e: unknown) => e))).toBe(true)
    expect((await session.runPython('1 + 1')).result).toBe(2)
  })

  it('session.abort() stops runPython and shell; an already aborted signal rejects at once', async () => {
    const session = await (await init({ pythonBackend: 'monty', sandbox: 'virtual' })).session('abort-direct')
    const run = session.runPython('n = 0\nwhile True:\n    n += 1', { resourceLimits: { maxDurationSecs: 120 } })
    const shell = session.shell('sleep 100')
    setTimeout(() => session.abort(), 50)
    expect(isAbort(await run.catch((e: unknown) => e))).toBe(true)
    expect(isAbort(await shell.catch((e: unknown) => e))).toBe(true)
    expect((await session.runPython('2 + 2')).result).toBe(4)
    expect(isAbort(await session.runPython('1', { signal: AbortSignal.abort() }).catch((e: unknown) => e))).toBe(true)
  })
})
