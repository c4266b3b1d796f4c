import { CommandRefusedError, type SandboxPolicy, WriteRefusedError } from '@pyflue/core'
import { virtualSandbox } from '@pyflue/sandbox-virtual'
import { describe, expect, it } from 'vitest'
import { init } from './init.js'
import { sandboxTools } from './sandbox-tools.js'
import { scriptedModel } from './testing/scripted-model.js'

const call = { toolCallId: 't', messages: [] }

async function toolsFor(files: Record<string, string>, policy?: SandboxPolicy) {
  const agent = await init({
    sandbox: virtualSandbox({ files }),
    ...(policy ? { sandboxPolicy: policy } : {}),
  })
  const session = await agent.session('files')
  return { session, tools: sandboxTools(session.sandbox!) }
}

describe('file and shell tools', () => {
  it('read numbers lines and pages through long files', async () => {
    const { tools } = await toolsFor({ 'notes.txt': 'one\ntwo\nthree\n' })
    expect(await tools.read.execute!({ path: 'notes.txt' }, call)).toBe(
      '     1\tone\n     2\ttwo\n     3\tthree',
    )
    expect(await tools.read.execute!({ path: 'notes.txt', offset: 2, limit: 1 }, call)).toBe(
      '     2\ttwo\n(1 more lines)',
    )
    expect(await tools.read.execute!({ path: 'missing.txt' }, call)).toMatch(
      /^Error \(SANDBOX_FILE\).*ENOENT/,
    )
  })

  it('write creates files and edit replaces exactly one occurrence unless told otherwise', async () => {
    const { session, tools } = await toolsFor({})
    expect(await tools.write.execute!({ path: 'dir/a.txt', content: 'red green red' }, call)).toMatch(
      /^Wrote 13 bytes/,
    )
    expect(await tools.edit.execute!({ path: 'dir/a.txt', oldText: 'red', newText: 'blue' }, call)).toMatch(
      /occurs 2 times/,
    )
    expect(await session.readFile('dir/a.txt')).toBe('red green red')
    expect(await tools.edit.execute!({ path: 'dir/a.txt', oldText: 'green', newText: 'teal' }, call)).toMatch(
      /^Replaced 1 occurrence/,
    )
    expect(
      await tools.edit.execute!(
        { path: 'dir/a.txt', oldText: 'red', newText: 'blue', replaceAll: true },
        call,
      ),
    ).toMatch(/^Replaced 2 occurrences/)
    expect(await session.readFile('dir/a.txt')).toBe('blue teal blue')
    expect(await tools.edit.execute!({ path: 'dir/a.txt', oldText: 'zzz', newText: 'y' }, call)).toMatch(
      /not found/,
    )
  })

  it('glob and grep find files and lines', async () => {
    const { tools } = await toolsFor({
      'data/a.csv': 'x,y\n1,2\n',
      'data/deep/b.csv': 'x,y\n3,4\n',
      'readme.md': 'hello world\nsecond line with x\n',
    })
    const csvs = await tools.glob.execute!({ pattern: '**/*.csv' }, call)
    expect(String(csvs).split('\n')).toEqual(['/data/a.csv', '/data/deep/b.csv'])
    expect(await tools.glob.execute!({ pattern: '*.txt' }, call)).toMatch(/^No files/)
    const hits = await tools.grep.execute!({ pattern: '^\\d', include: '*.csv' }, call)
    expect(String(hits).split('\n')).toEqual(['/data/a.csv:2: 1,2', '/data/deep/b.csv:2: 3,4'])
    expect(await tools.grep.execute!({ pattern: 'WORLD', ignoreCase: true }, call)).toBe(
      '/readme.md:1: hello world',
    )
    expect(await tools.grep.execute!({ pattern: '(' }, call)).toMatch(/^Error \(INVALID_ARGUMENT\)/)
  })

  it('grep cannot stall the host with a catastrophic pattern (RE2 matches in linear time)', async () => {
    const { tools } = await toolsFor({ 'evil.txt': `${'a'.repeat(100_000)}b\n` })
    // With JavaScript's backtracking engine this pattern would not finish in a lifetime.
    expect(await tools.grep.execute!({ pattern: '(a+)+$' }, call)).toMatch(/^No matches/)
    expect(await tools.grep.execute!({ pattern: '(a+)+b$' }, call)).toMatch(
      /^\/evil\.txt:1: a{500} \[line cut\]$/,
    )
    expect(await tools.grep.execute!({ pattern: '(?<=a)b' }, call)).toMatch(/^Error \(INVALID_ARGUMENT\)/)
  })

  it('bash runs commands and reports the exit code, stdout and stderr', async () => {
    const { tools } = await toolsFor({ 'a.txt': 'abc' })
    expect(await tools.bash.execute!({ command: 'cat a.txt' }, call)).toBe('exit code: 0\nstdout:\nabc')
    expect(await tools.bash.execute!({ command: 'cat nope.txt' }, call)).toMatch(/^exit code: 1\nstderr:/)
  })

  it('obey a read-only policy: writes, edits and write redirections are refused and change nothing', async () => {
    const { session, tools } = await toolsFor({ 'a.txt': 'original' }, { allowWrite: false })
    expect(tools.write.description).toContain('Writes are disabled')
    expect(await tools.write.execute!({ path: 'a.txt', content: 'changed' }, call)).toMatch(
      /^Error \(WRITE_REFUSED\)/,
    )
    expect(await tools.edit.execute!({ path: 'a.txt', oldText: 'original', newText: 'x' }, call)).toMatch(
      /^Error \(WRITE_REFUSED\)/,
    )
    expect(await tools.write.execute!({ path: 'new.txt', content: 'x' }, call)).toMatch(/WRITE_REFUSED/)
    expect(await tools.bash.execute!({ command: 'echo hi > a.txt' }, call)).toMatch(
      /^Error \(COMMAND_REFUSED\)/,
    )
    expect(await session.readFile('a.txt')).toBe('original')
    expect(await session.sandbox!.exists('new.txt')).toBe(false)
    await expect(session.writeFile('a.txt', 'x')).rejects.toBeInstanceOf(WriteRefusedError)
  })

  it('obey allowedCommands and allowShell', async () => {
    const { session, tools } = await toolsFor({ 'a.txt': 'abc' }, { allowedCommands: ['cat', 'wc'] })
    expect(tools.bash.description).toContain('Only these commands are allowed')
    expect(await tools.bash.execute!({ command: 'wc -c a.txt' }, call)).toMatch(/^exit code: 0/)
    expect(await tools.bash.execute!({ command: 'rm a.txt' }, call)).toMatch(/^Error \(COMMAND_REFUSED\)/)
    expect(await tools.bash.execute!({ command: 'cat a.txt; rm a.txt' }, call)).toMatch(/COMMAND_REFUSED/)
    expect(await session.readFile('a.txt')).toBe('abc')
    await expect(session.shell('rm a.txt')).rejects.toBeInstanceOf(CommandRefusedError)

    const noShell = await toolsFor({}, { allowShell: false })
    expect(await noShell.tools.bash.execute!({ command: 'ls' }, call)).toMatch(/^Error \(COMMAND_REFUSED\)/)
  })

  it('the model gets the refusal as text and the file stays unchanged', async () => {
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'write', input: { path: 'report.txt', content: 'overwritten' } }] },
      (context) => ({ text: `write said: ${String(context.toolResults[0]?.output)}` }),
    ])
    const agent = await init({
      model,
      sandbox: virtualSandbox({ files: { 'report.txt': 'keep me' } }),
      sandboxPolicy: { allowWrite: false },
    })
    const session = await agent.session('policy-model')
    const reply = await session.prompt('Overwrite report.txt')
    expect(reply.text).toMatch(/^write said: Error \(WRITE_REFUSED\)/)
    expect(await session.readFile('report.txt')).toBe('keep me')
  })

  it('paths cannot leave the sandbox workspace', async () => {
    const { tools } = await toolsFor({ 'a.txt': 'abc' })
    const outside = await tools.read.execute!({ path: '../../../../etc/passwd' }, call)
    expect(outside).not.toContain('root:')
    const glob = await tools.glob.execute!({ pattern: '**/passwd', path: '/../..' }, call)
    expect(glob).not.toContain('/etc/passwd')
  })
})
