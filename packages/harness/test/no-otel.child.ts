// Run by telemetry/no-otel.test.ts in its own Node process, where the harness and core cannot
// resolve `@opentelemetry/*` (see no-otel.hooks.mjs): a prompt whose code calls a tool, a shell
// command and a Python run work with telemetry off; `telemetry: true` rejects. Prints a report.
import { tool } from 'ai'
import { z } from 'zod'
import { init } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'

const double = tool({
  description: 'Doubles.',
  inputSchema: z.object({ n: z.number() }),
  execute: async ({ n }) => n * 2,
})
let computed = ''
const agent = await init({
  model: scriptedModel([
    { toolCalls: [{ toolName: 'run_code', input: { code: 'double(n=21)' } }] },
    (context) => {
      computed = String(context.toolResults[0]?.output)
      return { toolCalls: [{ toolName: 'bash', input: { command: 'echo hi' } }] }
    },
    (context) => ({ text: `${computed.trim()} / ${String(context.toolResults[0]?.output).trim()}` }),
  ]),
  pythonBackend: 'monty',
  sandbox: 'virtual',
  tools: { double },
})
const session = await agent.session('no-otel')
const reply = await session.prompt('double 21, then say hi')
const run = await session.runPython('6 * 7')
await agent.close()
const telemetryTrue = await init({ telemetry: true }).then(
  () => 'resolved',
  (error: unknown) => `rejected: ${(error as { code?: string }).code}`,
)
process.stdout.write(
  JSON.stringify({ reply: reply.text, steps: reply.steps.length, run: run.result, telemetryTrue }),
)
