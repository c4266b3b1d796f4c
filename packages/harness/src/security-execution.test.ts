// Security: the harness never runs model-written Python on the calling thread unless the
// application says so: `init({ pythonBackend: 'monty' })` gets the backend's default (a pool of
// processes), so a model's endless loop leaves the host's event loop free and an abort stops it.
import { tool } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from './init.js'
import { scriptedModel } from './testing/scripted-model.js'

describe("model-written code does not run on the host's thread by default", () => {
  it('a run_code busy loop leaves the event loop ticking, and session.abort() stops it', async () => {
    let looping = false
    // Python calls this just before its endless loop, so the ticks below count during the loop.
    const ready = tool({
      description: 'Says the loop starts.',
      inputSchema: z.object({}),
      execute: async () => {
        looping = true
        return 1
      },
    })
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code: 'ready()\nwhile True:\n    pass' } }] },
      { text: 'never' },
    ])
    // On the calling thread the loop would block every timer until its 20 s limit: no tick at all.
    const agent = await init({
      model,
      pythonBackend: 'monty',
      tools: { ready },
      resourceLimits: { maxDurationSecs: 20 },
    })
    try {
      const session = await agent.session('busy')
      let ticks = 0
      const interval = setInterval(() => {
        if (!looping) return
        ticks++
        if (ticks === 3) session.abort()
      }, 20)
      try {
        const outcome = await session.prompt('spin').then(
          () => 'resolved',
          (error: unknown) => (error as { name?: string }).name,
        )
        expect(looping).toBe(true)
        expect(outcome).toBe('AbortError')
        expect(ticks).toBeGreaterThanOrEqual(3)
      } finally {
        clearInterval(interval)
      }
      expect((await session.runPython('1 + 1')).result).toBe(2)
    } finally {
      await agent.close()
    }
  })
})
