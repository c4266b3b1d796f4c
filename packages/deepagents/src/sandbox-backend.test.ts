import { HumanMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { montyBackend } from '@pyflue/backend-monty'
import { type PythonBackend, withSandboxPolicy } from '@pyflue/core'
import { createVirtualSandbox, type VirtualSandbox } from '@pyflue/sandbox-virtual'
import { createDeepAgent } from 'deepagents'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REFUSED_EXIT_CODE, runCodeTool, sandboxBackend } from './index.js'
import { answerWithLastToolResult, toolMessages } from './messages.test-helpers.js'

let sandbox: VirtualSandbox
beforeEach(async () => {
  sandbox = await createVirtualSandbox({
    files: { 'data/cities.csv': 'city,temp\nOslo,4\nCairo,25\n', 'notes.md': 'one\ntwo\nthree\n' },
  })
})
afterEach(async () => {
  await sandbox.close()
})

describe('sandboxBackend: the protocol over a PyFlue sandbox', () => {
  it('lists, reads by lines, writes, edits and deletes through the sandbox', async () => {
    const backend = sandboxBackend(sandbox)
    expect(backend.id).toMatch(/^pyflue-virtual-/)
    expect((await backend.ls('/')).files?.map((f) => [f.path, f.is_dir])).toEqual([
      ['/data/', true],
      ['/notes.md', false],
    ])
    expect(await backend.read('/notes.md', 1, 1)).toMatchObject({
      content: 'two',
      totalLines: 3,
      startLine: 2,
      endLine: 2,
      nextOffset: 2,
    })
    expect((await backend.read('/notes.md', 9)).error).toMatch(/exceeds file length \(3 lines\)/)
    expect((await backend.read('/missing.txt')).error).toBe("Error: File '/missing.txt' not found")

    expect(await backend.write('/out/new.txt', 'a b a')).toMatchObject({ path: '/out/new.txt' })
    expect(await sandbox.readFile('/out/new.txt')).toBe('a b a')
    expect((await backend.edit('/out/new.txt', 'a', 'c')).error).toMatch(/multiple occurrences/)
    expect(await backend.edit('/out/new.txt', 'a', 'c', true)).toMatchObject({ occurrences: 2 })
    expect(await sandbox.readFile('/out/new.txt')).toBe('c b c')
    expect(await backend.delete!('/out')).toEqual({ path: '/out' })
    expect(await sandbox.exists('/out')).toBe(false)
  })

  it('globs relative to the search path and greps literal text', async () => {
    const backend = sandboxBackend(sandbox)
    await sandbox.writeFile('/data/deep/more.csv', 'city,temp\nLima,19\n')
    expect((await backend.glob('**/*.csv')).files?.map((f) => f.path)).toEqual([
      '/data/cities.csv',
      '/data/deep/more.csv',
    ])
    expect((await backend.glob('*.csv', '/data')).files?.map((f) => f.path)).toEqual(['/data/cities.csv'])
    expect((await backend.grep('city,', '/', '*.csv')).matches).toEqual([
      { path: '/data/cities.csv', line: 1, text: 'city,temp' },
      { path: '/data/deep/more.csv', line: 1, text: 'city,temp' },
    ])
    expect(await backend.grep('city,', '/', null, 1)).toEqual({
      matches: [{ path: '/data/cities.csv', line: 1, text: 'city,temp' }],
      truncated: true,
    })
    expect((await backend.grep('(', '/notes.md')).matches).toEqual([])
  })

  it('executes in the sandbox shell, stderr marked', async () => {
    const backend = sandboxBackend(sandbox)
    expect(await backend.execute('wc -l < notes.md; echo oops >&2; exit 3')).toEqual({
      output: '3\n[stderr] oops',
      exitCode: 3,
      truncated: false,
    })
    const long = await sandboxBackend(sandbox, { maxOutputChars: 10 }).execute('seq 1 100')
    expect(long).toEqual({ output: '1\n2\n3\n4\n5\n', exitCode: 0, truncated: true })
  })

  it('answers what the policy refuses as errors and changes nothing', async () => {
    const backend = sandboxBackend(
      withSandboxPolicy(sandbox, { allowWrite: false, allowedCommands: ['cat', 'ls'] }),
    )
    expect((await backend.write('/x.txt', 'x')).error).toMatch(/WRITE_REFUSED|refused/i)
    expect((await backend.edit('/notes.md', 'one', 'uno')).error).toMatch(/refused/i)
    expect(await sandbox.readFile('/notes.md')).toBe('one\ntwo\nthree\n')
    expect(await backend.uploadFiles!([['/y.txt', new Uint8Array([1])]])).toEqual([
      { path: '/y.txt', error: 'permission_denied' },
    ])
    const refused = await backend.execute('rm notes.md')
    expect(refused.exitCode).toBe(REFUSED_EXIT_CODE)
    expect(refused.output).toMatch(/COMMAND_REFUSED/)
    expect(await sandbox.exists('/notes.md')).toBe(true)
    expect((await backend.execute('cat notes.md')).output).toBe('one\ntwo\nthree\n')
    expect(await sandbox.exists('/x.txt')).toBe(false)
  })

  it('refuses a path outside the sandbox without naming a host path', async () => {
    const backend = sandboxBackend(sandbox)
    const hostDir = sandbox.hostMounts()[0]!.hostDir
    for (const result of [
      await backend.read('/../../etc/passwd'),
      await backend.read('../../../etc/hostname'),
    ]) {
      expect(result.content).toBeUndefined()
      expect(result.error).toBeDefined()
      expect(result.error).not.toContain(hostDir)
    }
  })
})

describe('sandboxBackend in a real Deep Agent, with run_code on the same sandbox', () => {
  let python: PythonBackend
  beforeEach(async () => {
    python = await montyBackend().createBackend({ sessionId: 'files', sandbox })
  })
  afterEach(async () => {
    await python.close()
  })

  it('files Python writes are read by read_file, and files write_file writes are read by Python', async () => {
    const model = fakeModel()
      .respondWithTools([
        {
          name: 'run_code',
          args: {
            code: [
              'from pathlib import Path',
              "rows = [l.split(',') for l in Path('/data/cities.csv').read_text().splitlines()[1:]]",
              "Path('/report.txt').write_text('\\n'.join(f'{c}: {int(t) * 1.8 + 32}' for c, t in rows))",
            ].join('\n'),
          },
        },
      ])
      .respondWithTools([{ name: 'read_file', args: { file_path: '/report.txt' } }])
      .respondWithTools([
        { name: 'write_file', args: { file_path: '/from-agent.txt', content: 'hello python' } },
      ])
      .respondWithTools([{ name: 'run_code', args: { code: "open('/from-agent.txt').read().upper()" } }])
      .respondWithTools([{ name: 'execute', args: { command: 'cat report.txt | wc -l' } }])
      .respond(answerWithLastToolResult)
    const agent = createDeepAgent({ model, tools: [runCodeTool(python)], backend: sandboxBackend(sandbox) })
    const result = await agent.invoke({ messages: [new HumanMessage('convert the temperatures')] })
    const [, read, wrote, upper, executed] = toolMessages(result.messages)
    expect(read).toContain('Oslo: 39.2')
    expect(read).toContain('Cairo: 77')
    expect(wrote).toMatch(/from-agent\.txt/)
    expect(upper).toBe("result: 'HELLO PYTHON'")
    expect(executed).toMatch(/^1\b/)
  })

  it("Deep Agents' tools answer the policy's refusals, and the model can go on", async () => {
    const model = fakeModel()
      .respondWithTools([{ name: 'write_file', args: { file_path: '/new.txt', content: 'x' } }])
      .respondWithTools([{ name: 'execute', args: { command: 'rm notes.md' } }])
      .respondWithTools([{ name: 'read_file', args: { file_path: '/notes.md' } }])
      .respond(answerWithLastToolResult)
    const readOnly = withSandboxPolicy(sandbox, { allowWrite: false, allowedCommands: ['cat'] })
    const agent = createDeepAgent({ model, tools: [runCodeTool(python)], backend: sandboxBackend(readOnly) })
    const result = await agent.invoke({ messages: [new HumanMessage('try')] })
    const [write, execute, read] = toolMessages(result.messages)
    expect(write).toMatch(/refused/i)
    expect(execute).toMatch(/COMMAND_REFUSED/)
    expect(execute).toMatch(/exit code 126/)
    expect(read).toContain('two')
    expect(await sandbox.exists('/new.txt')).toBe(false)
    expect(await sandbox.exists('/notes.md')).toBe(true)
  })
})
