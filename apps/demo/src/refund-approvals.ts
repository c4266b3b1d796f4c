/**
 * Scenario 8: approvals inside run_code. A scripted model loops over orders in Python and calls
 * the application's `refund` tool, which needs a person's approval: the Python pauses at each
 * refund, the prompt ends with the approval request, and each answer resumes the Python where
 * it stopped. The second answer is given by another agent (another backend) on the same store,
 * as another server would. Two refunds are approved, one is denied, and the run ends with the
 * totals the model reports.
 */
import { InMemorySessionStore } from '@pyflue/core'
import { init } from '@pyflue/harness'
import { scriptedModel } from '@pyflue/harness/testing'
import { tool } from 'ai'
import { z } from 'zod'
import { block, heading, show } from './print.js'

const ORDERS = [
  { id: 'A-1001', customer: 'Ada', amount: 30 },
  { id: 'B-2002', customer: 'Grace', amount: 450 },
  { id: 'C-3003', customer: 'Linus', amount: 12.5 },
]

const CODE = `refunded = []
denied = []
for order in orders:
    try:
        refund(order_id=order["id"], amount=order["amount"])
        refunded.append(order["amount"])
    except PermissionError as error:
        denied.append(order["id"] + " (" + str(error) + ")")
print("refunded", len(refunded), "orders for", sum(refunded), "- denied:", denied)
{"refunded_total": sum(refunded), "denied": len(denied)}`

export async function runRefundApprovals(): Promise<void> {
  heading('8. Approvals inside run_code')
  const store = new InMemorySessionStore()
  const paid: string[] = []
  const refund = tool({
    description: 'Refund an order to the customer.',
    inputSchema: z.object({ order_id: z.string(), amount: z.number() }),
    needsApproval: true,
    execute: async ({ order_id, amount }) => {
      paid.push(`${order_id}: ${amount}`)
      return { refunded: amount }
    },
  })
  const model = scriptedModel([
    { toolCalls: [{ toolName: 'run_code', input: { code: CODE } }] },
    (context) => ({ text: `All orders handled. ${String(context.toolResults[0]?.output).split('\n')[1]}` }),
  ])
  const make = () => init({ model, pythonBackend: 'monty', tools: { refund }, store })
  block('the model runs', CODE)

  const agent = await make()
  const session = await agent.session('refunds')
  await session.runPython('orders = data', { inputs: { data: ORDERS } })
  let reply = await session.prompt('Refund these orders.')
  const answers: ['approve' | 'deny', string?][] = [['approve'], ['deny', 'over the 100 limit'], ['approve']]
  let answered = 0
  let current = session
  let other: Awaited<ReturnType<typeof make>> | undefined
  while (reply.approvalRequests.length > 0) {
    const request = reply.approvalRequests[0]!
    show(`paused at line ${request.line}`, `${request.toolName}(${JSON.stringify(request.input)})`)
    const [verdict, reason] = answers[answered++]!
    if (answered === 2) {
      // Another server picks the session up from the store and answers there.
      await agent.close()
      other = await make()
      current = await other.session('refunds')
      show('another agent opened the session', `${current.approvalRequests.length} approval pending`)
    }
    show('  answer', verdict === 'approve' ? 'approve' : `deny: ${reason}`)
    reply =
      verdict === 'approve'
        ? await current.approve(request.approvalId)
        : await current.deny(request.approvalId, reason)
  }
  show('refunds paid', paid)
  show('model', reply.text)
  show('Python kept', (await current.runPython('[refunded, denied]')).result)
  await other?.close()
}
