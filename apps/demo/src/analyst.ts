import { init, type ModelSetting, type SessionEvent } from '@pyflue/harness'
import { virtualSandbox } from '@pyflue/sandbox-virtual'
import { z } from 'zod'
import { block, heading, show } from './print.js'
import { AGENTS_MD, SALES_CSV } from './sales-data.js'

/** An agent analysing a CSV in the virtual sandbox through run_code, printing every step. */
export async function runAnalyst(model: ModelSetting, label: string): Promise<void> {
  heading(`9. An agent analyses data/sales.csv with run_code — model: ${label}`)
  const agent = await init({
    model,
    pythonBackend: 'monty',
    sandbox: virtualSandbox({ files: { 'data/sales.csv': SALES_CSV, 'AGENTS.md': AGENTS_MD } }),
    sandboxPolicy: { allowedCommands: ['ls', 'cat', 'head', 'wc'] },
    instructions: 'Answer in at most five sentences.',
    maxSteps: 10,
  })
  const session = await agent.session('analysis')

  const question = 'Which region had the highest revenue in data/sales.csv, and what is the total revenue?'
  show('user', question)
  await printStream(session.stream(question))

  heading('10. A typed reply from the same session (its Python variables persist)')
  const Best = z.object({ region: z.string(), revenue: z.number(), share: z.number() })
  const typedQuestion = 'Return the best region as JSON: region, revenue, share of total revenue.'
  show('user', typedQuestion)
  const stream = session.stream(typedQuestion, { result: Best })
  await printStream(stream)
  show('reply.result (validated by zod)', (await stream.reply).result)
  show('messages kept in the session', session.messages.length)
  await agent.close()
}

async function printStream(events: AsyncIterable<SessionEvent>): Promise<void> {
  let step = 0
  let text = ''
  let stdout = ''
  const flushText = () => {
    if (text.trim() !== '') block('assistant', text.trim())
    text = ''
  }
  for await (const event of events) {
    switch (event.type) {
      case 'text-delta':
        text += event.text
        break
      case 'tool-call':
        flushText()
        step += 1
        if (event.toolName === 'run_code')
          block(`step ${step}: the model runs code`, (event.input as { code: string }).code)
        else show(`step ${step}: the model calls ${event.toolName}`, event.input)
        break
      case 'run-code-stdout': {
        // printed live, line by line, while the code runs
        stdout += event.text
        const lines = stdout.split('\n')
        stdout = lines.pop() ?? ''
        for (const line of lines) console.log(`  ▸ stdout: ${line}`)
        break
      }
      case 'tool-result':
        if (stdout !== '') console.log(`  ▸ stdout: ${stdout}`)
        stdout = ''
        block('  what the model reads back', String(event.output), '    ')
        break
      case 'tool-error':
        show('  tool error', String(event.error))
        break
      case 'finish':
        flushText()
        show(
          'usage',
          `${event.usage.inputTokens ?? '?'} input + ${event.usage.outputTokens ?? '?'} output tokens`,
        )
        break
      default:
        break
    }
  }
}
