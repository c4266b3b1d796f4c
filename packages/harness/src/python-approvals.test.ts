/**
 * Approvals inside run_code: an application tool with `needsApproval` that Python calls pauses
 * the run, the prompt ends with a standard `tool-approval-request`, and `approve` / `deny` /
 * `respond` resume the Python where it stopped, in this agent or another one on the same store.
 */

import { createMontyBackend } from '@pyflue/backend-monty'
import { InMemorySessionStore } from '@pyflue/core'
import { type ModelMessage, tool } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from './init.js'
import { runCodeTool } from './run-code-tool.js'
import { type ScriptContext, scriptedModel } from './testing/scripted-model.js'

const REFUNDS = `orders = [{"id": "A1", "amount": 30}, {"id": "B2", "amount": 45}, {"id": "C3", "amount": 12}]
total = 0
denied = []
for order in orders:
    try:
        total += refund(order["id"], order["amount"])
    except PermissionError as error:
        denied.append(order["id"] + ": " + str(error))
print("refunded", total)
{"total": total, "denied": denied}`

/** The refund tool: records what it refunded; `needsApproval` as given. */
function refundTool(needsApproval: boolean | ((input: { order: string; amount: number }) => boolean)) {
  const refunded: string[] = []
  return {
    refunded,
    refund: tool({
      description: 'Refund an order.',
      inputSchema: z.object({ order: z.string(), amount: z.number() }),
      needsApproval,
      execute: async ({ order, amount }) => {
        refunded.push(order)
        return amount
      },
    }),
  }
}

/** A model that runs the refund loop, then answers with what the run printed. */
function refundModel() {
  return scriptedModel([
    { toolCalls: [{ toolName: 'run_code', input: { code: REFUNDS } }] },
    (context: ScriptContext) => ({ text: `done: ${String(context.toolResults[0]?.output)}` }),
  ])
}

const lastParts = (messages: ModelMessage[]) => {
  const last = messages.at(-1)!
  return Array.isArray(last.content) ? last.content.map((part) => part.type) : []
}

describe('approvals inside run_code', () => {
  it('pauses at each refund, approves two, denies one, and the model goes on with the totals', async () => {
    const store = new InMemorySessionStore()
    const { refund, refunded } = refundTool(true)
    const agent = await init({ model: refundModel(), pythonBackend: 'monty', tools: { refund }, store })
    const session = await agent.session('refunds')
    const first = await session.prompt('refund the orders')
    expect(first.text).toBe('')
    expect(first.approvalRequests).toHaveLength(1)
    expect(first.approvalRequests[0]).toMatchObject({
      toolName: 'refund',
      input: { order: 'A1', amount: 30 },
      line: 6,
    })
    expect(first.approvalRequests[0]!.codeAround).toContain('total += refund(order["id"], order["amount"])')
    expect(lastParts(first.messages)).toEqual(['tool-call', 'tool-approval-request'])
    expect(refunded).toEqual([])
    // Nothing of the paused run is in the namespace yet.
    await expect(session.runPython('total')).rejects.toThrow(/total/)

    const second = await session.approve(first.approvalRequests[0]!.approvalId)
    expect(refunded).toEqual(['A1'])
    expect(second.approvalRequests.map((r) => r.input)).toEqual([{ order: 'B2', amount: 45 }])
    const third = await session.deny(
      second.approvalRequests[0]!.approvalId,
      'too large for an automatic refund',
    )
    expect(third.approvalRequests.map((r) => r.input)).toEqual([{ order: 'C3', amount: 12 }])
    const done = await session.approve(third.approvalRequests[0]!.approvalId)
    expect(refunded).toEqual(['A1', 'C3'])
    expect(done.approvalRequests).toEqual([])
    expect(done.text).toContain('refunded 42')
    expect(done.text).toContain("'B2: too large for an automatic refund'")
    expect((await session.runPython('total')).result).toBe(42)
    await agent.close()
  })

  it('asks only for the calls needsApproval selects, and approves the rest at once when told', async () => {
    const { refund, refunded } = refundTool(({ amount }) => amount > 20)
    const agent = await init({ model: refundModel(), pythonBackend: 'monty', tools: { refund } })
    const session = await agent.session('some')
    const first = await session.prompt('refund')
    expect(first.approvalRequests.map((r) => r.input)).toEqual([{ order: 'A1', amount: 30 }])
    const done = await session.approve(first.approvalRequests[0]!.approvalId, { rest: true })
    expect(done.approvalRequests).toEqual([])
    expect(refunded).toEqual(['A1', 'B2', 'C3'])
    expect(done.text).toContain('refunded 87')
    await agent.close()
  })

  it('streams the approval request as an event and keeps it for the next process', async () => {
    const store = new InMemorySessionStore()
    const { refund } = refundTool(true)
    const agent = await init({ model: refundModel(), pythonBackend: 'monty', tools: { refund }, store })
    const session = await agent.session('streamed')
    const stream = session.stream('refund')
    const events: string[] = []
    for await (const event of stream) events.push(event.type)
    const reply = await stream.reply
    expect(events).toContain('tool-approval-request')
    expect(reply.approvalRequests).toHaveLength(1)
    await agent.close()

    // Another agent (another backend and model) on the same store answers it and finishes the run.
    const model = scriptedModel([
      (context: ScriptContext) => ({ text: `done: ${String(context.toolResults[0]?.output)}` }),
    ])
    const { refund: again, refunded } = refundTool(true)
    const next = await init({ model, pythonBackend: 'monty', tools: { refund: again }, store })
    const reopened = await next.session('streamed')
    const pendingId = reply.approvalRequests[0]!.approvalId
    expect(reopened.approvalRequests.map((r) => r.approvalId)).toEqual([pendingId])
    const answer = await reopened.respond([{ approvalId: pendingId, approved: true, rest: true }])
    expect(answer.approvalRequests).toEqual([])
    expect(answer.text).toContain('refunded 87')
    expect(refunded).toEqual(['A1', 'B2', 'C3'])
    expect((await reopened.runPython('total')).result).toBe(87)
    expect(reopened.approvalRequests).toEqual([])
    await next.close()
  })

  it('never runs a tool that needs approval where the run cannot pause (runCodeTool alone)', async () => {
    const { refund, refunded } = refundTool(true)
    const backend = createMontyBackend()
    const runCode = runCodeTool(backend, { tools: { refund } })
    expect(runCode.description).toMatch(/Calls of refund need a person's approval/)
    const code = 'try:\n    r = refund("A1", 30)\nexcept PermissionError as error:\n    r = str(error)\nr'
    const output = await runCode.execute!({ code }, { toolCallId: 'c1', messages: [] })
    expect(output).toMatch(/refund needs a person's approval, and this run cannot pause for it/)
    expect(refunded).toEqual([])
    await backend.close()
  })

  it('refuses an answer to an approval that is not pending', async () => {
    const agent = await init({
      model: refundModel(),
      pythonBackend: 'monty',
      tools: { refund: refundTool(true).refund },
    })
    const session = await agent.session('none')
    await expect(session.approve('nope')).rejects.toThrow(/No approval 'nope' is pending/)
    await agent.close()
  })
})
