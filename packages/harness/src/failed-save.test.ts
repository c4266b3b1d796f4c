/**
 * A save that cannot be made leaves the session as the store holds it: the run (or the prompt's
 * step) whose save failed rejects with the save's typed error, its Python names, its workspace
 * files and its messages are gone, the stored record is unchanged, and the next save works.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { init } from './init.js'
import { FileSessionStore } from './session-stores/file-store.js'
import { scriptedModel } from './testing/scripted-model.js'

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pyflue-failed-save-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

const WRITE_BIG = "from pathlib import Path\nPath('/big.txt').write_text('x' * 5000)\nlost = 1\nkept = 99"

describe('a failed save', () => {
  it('takes back the run: its names and files are gone, the store is unchanged, the next save works', async () => {
    const store = new FileSessionStore(directory, { maxWorkspaceBytes: 1000, sync: false })
    const agent = await init({ pythonBackend: 'monty', sandbox: 'virtual', store })
    const session = await agent.session('s')
    await session.runPython("from pathlib import Path\nPath('/small.txt').write_text('ok')\nkept = 1")
    const before = await store.load('s')

    const failure = await session.runPython(WRITE_BIG).catch((error: unknown) => error)
    expect(failure).toMatchObject({ code: 'SESSION_TOO_LARGE' })

    expect((await session.runPython('kept')).result).toBe(1)
    await expect(session.runPython('lost')).rejects.toMatchObject({ excType: 'NameError' })
    expect(await session.sandbox!.exists('/big.txt')).toBe(false)
    expect(await session.sandbox!.readFile('/small.txt')).toBe('ok')

    // The runs after the failure saved again, from the stored record on.
    const after = await store.load('s')
    expect(after!.version).toBeGreaterThan(before!.version)
    expect(Object.keys(after!.workspace)).toEqual(['/small.txt'])
    await agent.close()

    const reopened = await init({ pythonBackend: 'monty', sandbox: 'virtual', store })
    const again = await reopened.session('s')
    expect((await again.runPython('kept')).result).toBe(1)
    await expect(again.runPython('lost')).rejects.toMatchObject({ excType: 'NameError' })
    await reopened.close()
  })

  it('takes back a prompt step: the messages of the step whose commit failed are not kept', async () => {
    const store = new FileSessionStore(directory, { maxWorkspaceBytes: 1000, sync: false })
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code: WRITE_BIG } }] },
      { text: 'Wrote it.' },
    ])
    const agent = await init({ model, pythonBackend: 'monty', sandbox: 'virtual', store })
    const session = await agent.session('p')
    await session.runPython('kept = 1')
    await expect(session.prompt('Write the big file.')).rejects.toMatchObject({ code: 'SESSION_TOO_LARGE' })
    expect(session.messages).toEqual([])
    expect((await store.load('p'))!.messages).toEqual([])
    expect((await session.runPython('kept')).result).toBe(1)
    await expect(session.runPython('lost')).rejects.toMatchObject({ excType: 'NameError' })
    expect(await session.sandbox!.exists('/big.txt')).toBe(false)
    await agent.close()
  })
})
