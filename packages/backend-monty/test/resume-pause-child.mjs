// Resumes a paused run in this process: reads { state, pause, answer, execution } as JSON on
// stdin (state and pause base64), loads the session state into a fresh backend, resumes the
// pause with `answer` (refunds answered by the `refund` external when not paused), and prints
// the outcome as JSON: the finished run's result and variables, or the next pause (its call
// and its bytes, base64).
import { createMontyBackend } from '../dist/index.js'

let input = ''
for await (const chunk of process.stdin) input += chunk
const { state, pause, answer, execution } = JSON.parse(input)
const backend = createMontyBackend(execution ? { execution } : {})
await backend.loadState(new Uint8Array(Buffer.from(state, 'base64')))
const outcome = await backend.resume(new Uint8Array(Buffer.from(pause, 'base64')), answer, {
  externalFunctions: { refund: (_order, amount) => amount },
  pauseOn: ['refund'],
})
const out =
  outcome.status === 'paused'
    ? {
        status: 'paused',
        call: outcome.call,
        stdout: outcome.stdout,
        pause: Buffer.from(outcome.dump()).toString('base64'),
      }
    : {
        status: 'complete',
        result: outcome.result,
        stdout: outcome.stdout,
        after: (await backend.run('[total, denied]')).result,
      }
process.stdout.write(JSON.stringify(out))
await backend.close()
