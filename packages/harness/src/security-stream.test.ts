// Security: an application that awaits `stream().reply` before it iterates holds every event of
// the prompt; they are kept in O(1)-append queues (see event-queue.test.ts for the copy counts),
// and all of them arrive, in order (issue 10: 40 000 prints froze the host 13 s).
import { describe, expect, it } from 'vitest'
import { init } from './init.js'
import type { SessionEvent } from './session-events.js'
import { scriptedModel } from './testing/scripted-model.js'

describe('stream() with the reply awaited first', () => {
  it('delivers the 40 000 prints of a run_code call in order after the call', async () => {
    const model = scriptedModel([
      {
        toolCalls: [
          { toolName: 'run_code', input: { code: 'for i in range(40000):\n    print(i)\n"done"' } },
        ],
      },
      { text: 'printed' },
    ])
    // A generous limit: on a loaded machine 40 000 prints may take longer than the 5 s default.
    const agent = await init({ model, pythonBackend: 'monty', resourceLimits: { maxDurationSecs: 300 } })
    try {
      const session = await agent.session('many-prints')
      const stream = session.stream('print a lot')
      const reply = await stream.reply
      expect(reply.text).toBe('printed')
      const events: SessionEvent[] = []
      for await (const event of stream) events.push(event)
      const callIndex = events.findIndex((event) => event.type === 'tool-call')
      const printed = events
        .filter((event) => event.type === 'run-code-stdout')
        .map((event) => (event as { text: string }).text)
        .join('')
      expect(callIndex).toBeGreaterThanOrEqual(0)
      const result = events.find((event) => event.type === 'tool-result') as { output?: unknown } | undefined
      expect(String(result?.output)).toMatch(/result: 'done'$/)
      expect(events.findIndex((event) => event.type === 'run-code-stdout')).toBeGreaterThan(callIndex)
      const lines = printed.split('\n').filter((line) => line !== '')
      expect(lines).toHaveLength(40_000)
      expect(lines.every((line, index) => line === String(index))).toBe(true)
      expect(events.at(-1)?.type).toBe('finish')
    } finally {
      await agent.close()
    }
  })
})
