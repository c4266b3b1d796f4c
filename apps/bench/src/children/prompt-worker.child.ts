/**
 * One process of the "8 processes × 100 sessions" bench row. It opens its agent, prints `ready`,
 * waits for `go` on stdin, then gives each of the sessions one short prompt in its own order
 * (starting at `worker × 13`, so processes meet on sessions and wait for each other's leases).
 * Each prompt is two model steps with the scripted model: a `run_code` call that increments the
 * session's Python `count`, then a text reply. A prompt refused by the store (busy past the wait,
 * conflict) is counted and retried. Prints `{ ms, prompts, retries, messagesPerPrompt }`.
 * Usage: prompt-worker.child.ts memory|postgres|redis <target> <worker> <sessions> <rounds>
 */
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { ErrorCodes, isPyFlueError } from '@pyflue/core'
import { init } from '@pyflue/harness'
import { scriptedModel } from '@pyflue/harness/testing'
import { type StoreKind, storeOf } from './store-of.js'

const [kind, target, workerText, sessionsText, roundsText] = process.argv.slice(2) as [
  StoreKind,
  string,
  string,
  string,
  string,
]
const worker = Number(workerText)
const sessions = Number(sessionsText)
const rounds = Number(roundsText)

const INCREMENT = 'try:\n    count += 1\nexcept NameError:\n    count = 1\ncount'

const model = scriptedModel((context) =>
  context.toolResults.length === 0
    ? { toolCalls: [{ toolName: 'run_code', input: { code: INCREMENT } }] }
    : { text: 'done' },
)
const store = storeOf(kind, target)
const agent = await init({
  model,
  pythonBackend: 'monty',
  store,
  sessionLease: { ttlMs: 30_000, waitMs: 120_000 },
})

const lines = createInterface({ input: process.stdin })
const go = new Promise<void>((resolve) => lines.once('line', () => resolve()))
process.stdout.write('ready\n')
await go
lines.close()

let prompts = 0
let retries = 0
const perPrompt = new Set<number>()
const start = performance.now()
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < sessions; k++) {
    const id = `s${(worker * 13 + k) % sessions}`
    for (;;) {
      try {
        const session = await agent.session(id)
        try {
          const before = session.messages.length
          await session.prompt(`prompt ${worker}.${round}.${k}`)
          perPrompt.add(session.messages.length - before)
        } finally {
          await session.close()
        }
        prompts += 1
        break
      } catch (error) {
        if (
          !isPyFlueError(error) ||
          (error.code !== ErrorCodes.SESSION_BUSY && error.code !== ErrorCodes.SESSION_CONFLICT)
        )
          throw error
        retries += 1
      }
    }
  }
}
const ms = performance.now() - start
await agent.close()
await store.close()
process.stdout.write(`${JSON.stringify({ ms, prompts, retries, messagesPerPrompt: [...perPrompt] })}\n`)
