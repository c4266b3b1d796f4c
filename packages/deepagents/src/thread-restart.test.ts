// A thread continued in another process: the first process runs Python on a thread and ends;
// the second, a fresh Node process with a fresh agent, continues the thread and finds its
// variables and functions, through `saveState`/`loadState` on files. Each process is a real
// child (`node`), importing the built package as a user would.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const stateDir = mkdtempSync(join(tmpdir(), 'pyflue-deepagents-threads-'))
afterAll(() => rmSync(stateDir, { recursive: true, force: true }))

/** The program each process runs: one agent turn on thread `kept` whose model calls run_code with `code`. */
const program = (code: string) => `
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { AIMessage, HumanMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { montyBackend } from '@pyflue/backend-monty'
import { createPyflueDeepAgent } from '@pyflue/deepagents'

const file = (id) => ${JSON.stringify(stateDir)} + '/' + id + '.state'
const agent = createPyflueDeepAgent({
  model: fakeModel()
    .respondWithTools([{ name: 'run_code', args: { code: ${JSON.stringify(code)} } }])
    .respond((messages) => new AIMessage(messages.at(-1).text)),
  pythonBackend: montyBackend(),
  loadState: (id) => (existsSync(file(id)) ? new Uint8Array(readFileSync(file(id))) : undefined),
  saveState: (id, state) => writeFileSync(file(id), state),
})
const result = await agent.invoke({ messages: [new HumanMessage('go')] }, { configurable: { thread_id: 'kept' } })
await agent.close()
process.stdout.write(JSON.stringify(result.messages.at(-1).text))
`

async function runProcess(code: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', program(code)],
    {
      cwd: packageDir,
      timeout: 120_000,
    },
  )
  return JSON.parse(stdout) as string
}

describe('a thread continued in a second process', () => {
  it('finds the variables and functions the first process defined', async () => {
    const first = await runProcess('def greet(n):\n    return "hi " + n\nname = "ada"\nlen(name)')
    expect(first).toBe('result: 3')
    expect(readdirSync(stateDir)).toEqual(['kept.state'])
    const second = await runProcess('greet(name)')
    expect(second).toBe("result: 'hi ada'")
  })
})
