// Run by file-store-continuation.test.ts in a second Node process: opens the session the
// parent process saved and reports what it finds, as JSON on stdout.
import { FileSessionStore, init } from '../src/index.js'
import { scriptedModel } from '../src/testing/scripted-model.js'

const directory = process.argv[2]!
let promptSeen: { role: string; text: string }[] = []
const model = scriptedModel([
  (context) => {
    promptSeen = context.options.prompt
      .filter((message) => message.role !== 'system')
      .map((message) => ({
        role: message.role,
        text:
          typeof message.content === 'string'
            ? message.content
            : message.content.map((part) => ('text' in part ? part.text : part.type)).join(''),
      }))
    return { text: 'continued' }
  },
])
const agent = await init({
  model,
  pythonBackend: 'monty',
  sandbox: 'virtual',
  store: new FileSessionStore(directory),
})
const session = await agent.session('analysis')
const historyBefore = session.messages.length
const total = (await session.runPython('total + 2')).result
const report = await session.sandbox!.readFile('/out/report.txt')
const reply = await session.prompt('What did I ask before?')
await agent.close()
process.stdout.write(
  JSON.stringify({ pid: process.pid, historyBefore, total, report, reply: reply.text, promptSeen }),
)
