// Run by approvals-postgres.test.ts in its own Node process, on a session in PostgreSQL:
// `prompt` asks the scripted model to refund three orders (the refund tool needs approval), or
// `approve <id>` / `deny <id> <reason>` answers a pending approval. Prints the reply's approval
// requests and text, and the orders this process refunded, as JSON on stdout.
import { PostgresSessionStore } from '@pyflue/store-postgres'
import { tool } from 'ai'
import { z } from 'zod'
import { init } from '../src/index.js'
import { scriptedModel } from '../src/testing/scripted-model.js'

const [connectionString, id, action, approvalId, reason] = process.argv.slice(2) as [
  string,
  string,
  string,
  string?,
  string?,
]
const REFUNDS = `orders = [("A1", 30), ("B2", 45), ("C3", 12)]
total = 0
denied = []
for order, amount in orders:
    try:
        total += refund(order, amount)
    except PermissionError as error:
        denied.append(order)
print("refunded", total, "denied", denied)`
const refunded: string[] = []
const refund = tool({
  description: 'Refund an order.',
  inputSchema: z.object({ order: z.string(), amount: z.number() }),
  needsApproval: true,
  execute: async ({ order, amount }) => {
    refunded.push(order)
    return amount
  },
})
const model = scriptedModel(
  action === 'prompt'
    ? [{ toolCalls: [{ toolName: 'run_code', input: { code: REFUNDS } }] }]
    : [(context) => ({ text: `done: ${String(context.toolResults[0]?.output)}` })],
)
const store = new PostgresSessionStore({ connectionString })
const agent = await init({ model, pythonBackend: 'monty', tools: { refund }, store })
const session = await agent.session(id)
const reply =
  action === 'prompt'
    ? await session.prompt('refund the orders')
    : action === 'approve'
      ? await session.approve(approvalId!)
      : await session.deny(approvalId!, reason)
process.stdout.write(JSON.stringify({ approvalRequests: reply.approvalRequests, text: reply.text, refunded }))
await agent.close()
await store.close()
