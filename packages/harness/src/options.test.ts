import { InvalidArgumentError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { init } from './init.js'
import { scriptedModel } from './testing/scripted-model.js'

/** The refusal an unknown key gets: InvalidArgumentError naming the key and the closest known one. */
async function refusal(work: () => unknown): Promise<InvalidArgumentError> {
  const error = await Promise.resolve()
    .then(work)
    .then(
      () => undefined,
      (e: unknown) => e,
    )
  expect(error).toBeInstanceOf(InvalidArgumentError)
  return error as InvalidArgumentError
}

describe('init options', () => {
  it('refuse an unknown key, naming the closest known one', async () => {
    const error = await refusal(() => init({ python: 'monty' } as never))
    expect(error.message).toContain('Unknown option `python` in init options.')
    expect(error.argument).toBe('init options.python')
    expect((await refusal(() => init({ maxStep: 3 } as never))).message).toContain('Did you mean `maxSteps`?')
  })

  it('refuse an unknown resource limit and an invalid one at init, not at the first run', async () => {
    const unknown = await refusal(() =>
      init({ pythonBackend: 'monty', resourceLimits: { timeout: 1 } as never }),
    )
    expect(unknown.argument).toBe('init options.resourceLimits.timeout')
    const negative = await refusal(() =>
      init({ pythonBackend: 'monty', resourceLimits: { maxDurationSecs: -1 } }),
    )
    expect(negative.argument).toBe('init options.resourceLimits.maxDurationSecs')
    const fraction = await refusal(() => init({ resourceLimits: { maxMemory: 1.5 } }))
    expect(fraction.argument).toBe('init options.resourceLimits.maxMemory')
  })

  it('refuse invalid values of the other options', async () => {
    expect((await refusal(() => init({ maxSteps: 0 }))).argument).toBe('maxSteps')
    expect((await refusal(() => init({ instructions: 3 as never }))).argument).toBe(
      'init options.instructions',
    )
  })
})

describe('session.runPython options', () => {
  it('refuse an unknown key (input for inputs) and an invalid limit before anything runs', async () => {
    const session = await (await init({ pythonBackend: 'monty' })).session('keys')
    const error = await refusal(() => session.runPython('x = 1', { input: { a: 1 } } as never))
    expect(error.message).toContain('Did you mean `inputs`?')
    expect(error.argument).toBe('runPython options.input')
    const limit = await refusal(() => session.runPython('x = 2', { resourceLimits: { maxDurationSecs: 0 } }))
    expect(limit.argument).toBe('runPython options.resourceLimits.maxDurationSecs')
    const ran = await session.runPython(
      'try:\n    x\n    seen = True\nexcept NameError:\n    seen = False\nseen',
    )
    expect(ran.result).toBe(false)
  })

  it("the session's resourceLimits are the defaults of runPython; a run's own limits override them", async () => {
    const agent = await init({ pythonBackend: 'monty', resourceLimits: { maxRecursionDepth: 20 } })
    const session = await agent.session('limits')
    const deep = 'def f(n):\n    return 0 if n == 0 else 1 + f(n - 1)\nf(60)'
    await expect(session.runPython(deep)).rejects.toMatchObject({ code: 'RESOURCE_LIMIT' })
    const own = await session.runPython(deep, { resourceLimits: { maxRecursionDepth: 500 } })
    expect(own.result).toBe(60)
    await agent.close()
  })
})

describe('prompt and stream options', () => {
  it('refuse an unknown key and an invalid maxSteps at the call', async () => {
    const session = await (await init({ model: scriptedModel([{ text: 'never used' }]) })).session('p')
    const error = await refusal(() => session.prompt('hi', { maxStep: 2 } as never))
    expect(error.message).toContain('Did you mean `maxSteps`?')
    expect((await refusal(() => session.prompt('hi', { maxSteps: 0 }))).argument).toBe(
      'prompt options.maxSteps',
    )
    expect((await refusal(() => session.stream('hi', { signals: undefined } as never))).argument).toBe(
      'stream options.signals',
    )
    expect((await refusal(() => session.stream('hi', { onRunCode: 'log' } as never))).argument).toBe(
      'stream options.onRunCode',
    )
    expect(session.messages).toEqual([])
  })
})
