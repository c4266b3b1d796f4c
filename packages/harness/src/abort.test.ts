import { tool } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from './init.js'
import type { SessionEvent } from './session-events.js'
import { scriptedModel } from './testing/scripted-model.js'

const isAbort = (error: unknown) => (error as { name?: string }).name === 'AbortError'

describe('abort', () => {
  it('session.abort() stops a prompt in the middle of a run_code run; the session stays usable', async () => {
    // Python waits on the host in `tick` (an application tool) when the abort comes.
    const tick = tool({
      description: 'Waits a moment.',
      inputSchema: z.object({}),
      execute: () => new Promise<number>((resolve) => setTimeout(() => resolve(1), 5)),
    })
    const model = scriptedModel([
      {
        toolCalls: [
          { toolName: 'run_code', input: { code: "print('started')\nn = 0\nwhile True:\n    n += tick()" } },
        ],
      },
      { text: 'never reached' },
    ])
    const agent = await init({
      model,
      pythonBackend: 'monty',
      tools: { tick },
      resourceLimits: { maxDurationSecs: 120 },
    })
    const session = await agent.session('abort-run')
    await session.runPython('before = 1')
    const stream = session.stream('loop forever')
    const events: SessionEvent[] = []
    let abortScheduled = false
    let seen = ''
    const consumed = (async () => {
      for await (const event of stream) {
        events.push(event)
        // print() may arrive in pieces (the text, then its newline): abort once all of it is here.
        if (event.type === 'run-code-stdout') seen += event.text
        if (seen.endsWith('\n') && !abortScheduled) {
          abortScheduled = true
          setTimeout(() => session.abort(), 30)
        }
      }
    })()
    const [iteration, reply] = await Promise.allSettled([consumed, stream.reply])
    expect(iteration.status === 'rejected' && isAbort(iteration.reason)).toBe(true)
    expect(reply.status === 'rejected' && isAbort(reply.reason)).toBe(true)
    expect(events.map((e) => e.type).slice(0, 2)).toEqual(['tool-call', 'run-code-stdout'])
    const printed = events.flatMap((e) => (e.type === 'run-code-stdout' ? [e.text] : [])).join('')
    expect(printed).toBe('started\n')
    expect(events.some((e) => e.type === 'tool-result' || e.type === 'finish')).toBe(false)
    expect(session.messages).toEqual([])
    // the aborted run changed nothing, and the session keeps working
    expect((await session.runPython('before + 1')).result).toBe(2)
    await expect(session.runPython('n')).rejects.toThrow(/NameError/)
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
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code: 'hang()' } }] },
      { text: 'never' },
    ])
    const session = await (await init({ model, pythonBackend: 'monty', tools: { hang } })).session(
      'abort-ptc',
    )
    const controller = new AbortController()
    const prompt = session.prompt('wait', { signal: controller.signal })
    await startedPromise
    controller.abort()
    expect(isAbort(await prompt.catch((e: unknown) => e))).toBe(true)
    expect((await session.runPython('1 + 1')).result).toBe(2)
  })

  it('session.abort() stops runPython and shell; an already aborted signal rejects at once', async () => {
    const python = await (await init({ pythonBackend: 'monty' })).session('abort-python')
    const wait = () => new Promise((resolve) => setTimeout(() => resolve(1), 5))
    const run = python.runPython('n = 0\nwhile True:\n    n += wait()', {
      externalFunctions: { wait },
      resourceLimits: { maxDurationSecs: 120 },
    })
    setTimeout(() => python.abort(), 50)
    expect(isAbort(await run.catch((e: unknown) => e))).toBe(true)
    expect((await python.runPython('2 + 2')).result).toBe(4)
    expect(
      isAbort(await python.runPython('1', { signal: AbortSignal.abort() }).catch((e: unknown) => e)),
    ).toBe(true)

    const files = await (await init({ sandbox: 'virtual' })).session('abort-shell')
    const shell = files.shell('sleep 100')
    setTimeout(() => files.abort(), 50)
    expect(isAbort(await shell.catch((e: unknown) => e))).toBe(true)
    expect((await files.shell('echo ok')).stdout).toBe('ok\n')
  })

  it('session.abort() stops a busy Python loop in run_code (backend-monty runs signalled code on a worker)', async () => {
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code: 'n = 0\nwhile True:\n    n += 1' } }] },
      { text: 'never reached' },
    ])
    const agent = await init({
      model,
      pythonBackend: 'monty',
      sandbox: 'virtual',
      resourceLimits: { maxDurationSecs: 120 },
    })
    const session = await agent.session('abort-busy')
    const stream = session.stream('spin')
    let abortScheduled = false
    const consumed = (async () => {
      for await (const event of stream) {
        if (event.type === 'tool-call' && !abortScheduled) {
          abortScheduled = true
          setTimeout(() => session.abort(), 100)
        }
      }
    })()
    const [iteration, reply] = await Promise.allSettled([consumed, stream.reply])
    expect(iteration.status === 'rejected' && isAbort(iteration.reason)).toBe(true)
    expect(reply.status === 'rejected' && isAbort(reply.reason)).toBe(true)
    // the session, its sandbox mount included, keeps working
    await session.writeFile('after.txt', 'still here')
    expect((await session.runPython("open('after.txt').read()")).result).toBe('still here')
    await expect(session.runPython('n')).rejects.toThrow(/NameError/)
  })

  it('a CPU-bound run is stopped by its time limit, and the model reads the limit error', async () => {
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code: 'n = 0\nwhile True:\n    n += 1' } }] },
      (context) => ({ text: String(context.toolResults[0]?.output) }),
    ])
    const agent = await init({ model, pythonBackend: 'monty', resourceLimits: { maxDurationSecs: 0.2 } })
    const reply = await (await agent.session('limit')).prompt('spin')
    expect(reply.text).toMatch(/ResourceLimitError \(RESOURCE_LIMIT\)/)
    expect(reply.text).toMatch(/maxDurationSecs/)
  })
})
