// Security: the read and edit tools and the AGENTS.md loader read only files they may return:
// the size is looked at first (the Sandbox contract reads whole files only), so one line of a
// 300 MB file costs nothing (issue 10: +597 MB).
import { execFile } from 'node:child_process'
import { truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Sandbox } from '@pyflue/core'
import { createVirtualSandbox } from '@pyflue/sandbox-virtual'
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_READ_BYTES } from './bounded-read.js'
import { sandboxTools } from './sandbox-tools.js'
import { buildSystemPrompt } from './system-prompt.js'

const call = { toolCallId: 't', messages: [] }

/** A virtual sandbox holding `name` as a sparse file of `size` bytes, with its reads counted. */
async function sandboxWithBigFile(name: string, size: number) {
  const sandbox = await createVirtualSandbox({ files: { [name]: 'first line\n', 'small.txt': 'one\ntwo\n' } })
  const mount = sandbox.hostMounts?.()[0]
  if (!mount) throw new Error('the virtual sandbox has a host directory')
  // Sparse: the file reports `size` bytes without taking them on disk.
  await truncate(join(mount.hostDir, name), size)
  const reads: string[] = []
  const readFile = sandbox.readFile.bind(sandbox)
  ;(sandbox as { readFile: Sandbox['readFile'] }).readFile = (path) => {
    reads.push(path)
    return readFile(path)
  }
  return { sandbox, reads }
}

describe('bounded reads', () => {
  it('read refuses a 300 MB file without reading it, with a typed message that says what to do', async () => {
    const { sandbox, reads } = await sandboxWithBigFile('huge.log', 300_000_000)
    const tools = sandboxTools(sandbox)
    const text = await tools.read.execute!({ path: 'huge.log', limit: 1 }, call)
    expect(text).toBe(
      `Error (SANDBOX_LIMIT): /huge.log is 300000000 bytes, more than the read tool's limit of ${DEFAULT_MAX_READ_BYTES}; read part of it with bash (head -c, tail -n, sed -n '1,200p') or search it with grep.`,
    )
    expect(reads).toEqual([])
    expect(await tools.read.execute!({ path: 'small.txt' }, call)).toBe('     1\tone\n     2\ttwo')
    expect(reads).toEqual(['small.txt'])
    await sandbox.close?.()
  })

  it('edit refuses a file above the limit, and a replacement that would grow past it', async () => {
    const { sandbox, reads } = await sandboxWithBigFile('huge.log', 300_000_000)
    const tools = sandboxTools(sandbox, { maxReadBytes: 1_000 })
    expect(await tools.edit.execute!({ path: 'huge.log', oldText: 'first', newText: 'x' }, call)).toMatch(
      /^Error \(SANDBOX_LIMIT\): \/huge\.log is 300000000 bytes, more than the edit tool's limit of 1000/,
    )
    expect(reads).toEqual([])
    await sandbox.writeFile('many.txt', 'a'.repeat(500))
    const grown = await tools.edit.execute!(
      { path: 'many.txt', oldText: 'a', newText: 'bbbbbbbbbb', replaceAll: true },
      call,
    )
    expect(grown).toBe(
      "Error (SANDBOX_LIMIT): Replacing 500 occurrences would make /many.txt 5000 characters long, more than the edit tool's limit of 1000. Nothing changed.",
    )
    expect(await sandbox.readFile('many.txt')).toBe('a'.repeat(500))
    expect(
      await tools.edit.execute!({ path: 'many.txt', oldText: 'a', newText: 'b', replaceAll: true }, call),
    ).toBe('Replaced 500 occurrences in /many.txt.')
    await sandbox.close?.()
  })

  it('the AGENTS.md loader names a big AGENTS.md instead of reading it', async () => {
    const { sandbox, reads } = await sandboxWithBigFile('AGENTS.md', 300_000_000)
    const prompt = await buildSystemPrompt({ hasPython: false, sandbox })
    expect(prompt).toContain('(/AGENTS.md is larger than 262144 bytes and was not loaded;')
    expect(reads).toEqual([])
    await sandbox.writeFile('AGENTS.md', 'Always answer in French.')
    expect(await buildSystemPrompt({ hasPython: false, sandbox })).toContain('Always answer in French.')
    await sandbox.close?.()
  })

  it('read and edit refuse what is not a regular file (a directory, a FIFO) without opening it', async () => {
    const sandbox = await createVirtualSandbox({ files: { 'dir/a.txt': 'x' } })
    const tools = sandboxTools(sandbox)
    expect(await tools.read.execute!({ path: 'dir' }, call)).toMatch(
      /^Error \(SANDBOX_FILE\): .*\/dir.*EISDIR/,
    )
    await promisify(execFile)('mkfifo', [join(sandbox.hostMounts!()[0]!.hostDir, 'pipe')])
    // Opening a FIFO for reading blocks until a writer comes; the tools never open it.
    expect(await tools.read.execute!({ path: 'pipe' }, call)).toMatch(/^Error \(SANDBOX_FILE\): /)
    expect(await tools.edit.execute!({ path: 'pipe', oldText: 'a', newText: 'b' }, call)).toMatch(
      /^Error \(SANDBOX_FILE\): /,
    )
    await sandbox.close?.()
  })
})
