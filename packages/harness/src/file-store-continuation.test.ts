import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { init } from './init.js'
import { FileSessionStore } from './session-stores/file-store.js'
import { scriptedModel } from './testing/scripted-model.js'

const here = dirname(fileURLToPath(import.meta.url))
const child = join(here, '..', 'test', 'continue-session.child.ts')

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pyflue-continue-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

describe('a session continued in a second process from the file store', () => {
  it('keeps the message history, the Python state and the workspace files', async () => {
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code: 'total = total * 2' } }] },
      { text: 'Doubled it.' },
    ])
    const store = new FileSessionStore(directory)
    const agent = await init({ model, pythonBackend: 'monty', sandbox: 'virtual', store })
    const session = await agent.session('analysis')
    await session.runPython(
      "from pathlib import Path\nPath('/out/report.txt').parent.mkdir()\nPath('/out/report.txt').write_text('made in the first process')\ntotal = 20",
    )
    await session.prompt('Please double the total.')
    expect((await session.runPython('total')).result).toBe(40)
    await agent.close()

    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, directory], {
      cwd: join(here, '..'),
      timeout: 60_000,
    })
    const report = JSON.parse(stdout) as {
      pid: number
      historyBefore: number
      total: number
      report: string
      reply: string
      promptSeen: { role: string; text: string }[]
    }
    expect(report.pid).not.toBe(process.pid)
    // user, assistant (tool call), tool (result), assistant (text)
    expect(report.historyBefore).toBe(4)
    expect(report.total).toBe(42)
    expect(report.report).toBe('made in the first process')
    expect(report.reply).toBe('continued')
    expect(report.promptSeen.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'user'])
    expect(report.promptSeen[0]?.text).toBe('Please double the total.')
    expect(report.promptSeen[3]?.text).toBe('Doubled it.')

    // and the second process's prompt is in the store for a third opening
    const saved = await new FileSessionStore(directory).load('analysis')
    expect(saved?.messages).toHaveLength(6)
  })
})
