import { readFileSync } from 'node:fs'
import { virtualSandbox } from '@pyflue/sandbox-virtual'
import { describe, expect, it } from 'vitest'
import { init } from './init.js'
import { scriptedModel } from './testing/scripted-model.js'

const hostPasswd = readFileSync('/etc/passwd', 'utf8')

/** Runs `code` through the model's run_code tool and returns what the model reads back. */
async function throughRunCode(code: string, options: Parameters<typeof init>[0] = {}): Promise<string> {
  const model = scriptedModel([
    { toolCalls: [{ toolName: 'run_code', input: { code } }] },
    (context) => ({ text: String(context.toolResults[0]?.output) }),
  ])
  const session = await (await init({ model, pythonBackend: 'monty', ...options })).session('escape')
  return (await session.prompt('go')).text
}

describe('what model-written code cannot reach', () => {
  it('host files, without a sandbox and with one', async () => {
    for (const options of [{}, { sandbox: 'virtual' }]) {
      const output = await throughRunCode("open('/etc/passwd').read()", options)
      expect(output).toMatch(/^error:/)
      expect(output).not.toContain(hostPasswd.split('\n')[0])
    }
    const traversal = await throughRunCode(
      "from pathlib import Path\nPath('../../../../../../etc/passwd').read_text()",
      { sandbox: 'virtual' },
    )
    expect(traversal).toMatch(/^error:/)
  })

  it('the host environment and processes', async () => {
    process.env.PYFLUE_SECRET_FOR_TEST = 'hunter2'
    try {
      for (const code of [
        "import os\nos.environ['PYFLUE_SECRET_FOR_TEST']",
        "import os\nos.getenv('PYFLUE_SECRET_FOR_TEST')",
        "import subprocess\nsubprocess.run(['id'])",
        "__import__('os').system('id')",
      ]) {
        const output = await throughRunCode(code)
        expect(output).not.toContain('hunter2')
        expect(output).toMatch(/^error:/)
      }
      const shell = await (await init({ sandbox: 'virtual' })).session('env')
      expect((await shell.shell('echo "$PYFLUE_SECRET_FOR_TEST"; env')).stdout).not.toContain('hunter2')
    } finally {
      delete process.env.PYFLUE_SECRET_FOR_TEST
    }
  })

  it('functions that were not handed over', async () => {
    const output = await throughRunCode('fetch_secrets()')
    expect(output).toMatch(/NameError/)
  })

  it('writes through Python when the policy is read-only', async () => {
    const agent = await init({
      pythonBackend: 'monty',
      sandbox: virtualSandbox({ files: { 'keep.txt': 'original' } }),
      sandboxPolicy: { allowWrite: false },
    })
    const session = await agent.session('read-only')
    for (const code of [
      "open('keep.txt', 'w').write('changed')",
      "from pathlib import Path\nPath('keep.txt').write_text('changed')",
      "from pathlib import Path\nPath('new.txt').write_text('x')",
    ]) {
      await expect(session.runPython(code)).rejects.toThrow()
    }
    expect(await session.readFile('keep.txt')).toBe('original')
    expect(await session.sandbox!.exists('new.txt')).toBe(false)
    // reads still work
    expect((await session.runPython("open('keep.txt').read()")).result).toBe('original')
  })

  it('other sessions: each session has its own sandbox files and Python namespace', async () => {
    const agent = await init({ pythonBackend: 'monty', sandbox: 'virtual' })
    const a = await agent.session('a')
    const b = await agent.session('b')
    await a.writeFile('private.txt', 'only a')
    await a.runPython("secret = 'only a'")
    expect(await b.sandbox!.exists('private.txt')).toBe(false)
    await expect(b.runPython('secret')).rejects.toThrow(/NameError/)
    await expect(b.runPython("open('/private.txt').read()")).rejects.toThrow()
  })
})
