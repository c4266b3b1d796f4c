/**
 * Separate Node processes on one session of the directory store: they take turns without losing
 * or overwriting a commit, and a process killed with SIGKILL loses its lease only to expiry.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { FileSessionStore } from './file-store.js'

const worker = fileURLToPath(new URL('../../test/file-store-worker.ts', import.meta.url))
const directory = mkdtempSync(join(tmpdir(), 'pyflue-file-procs-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))
const run = promisify(execFile)
const node = (args: string[]) => [process.execPath, ['--import', 'tsx', worker, directory, ...args]] as const

describe('FileSessionStore across processes', () => {
  it('two processes taking turns on one session lose and overwrite nothing', async () => {
    await Promise.all([run(...node(['turns', 'turns', '4'])), run(...node(['turns', 'turns', '4']))])
    const record = await new FileSessionStore(directory).load('turns')
    expect(record?.version).toBe(8)
    const owners = new Set(record?.messages.map((m) => (m as { owner: string }).owner))
    expect(owners.size).toBe(2)
    for (const owner of owners) {
      const mine = record?.messages.filter((m) => (m as { owner: string }).owner === owner)
      expect(mine?.map((m) => (m as { n: number }).n)).toEqual([0, 1, 2, 3])
    }
  }, 120_000)

  it('after the owner is killed with SIGKILL, another process takes over once the lease expires', async () => {
    const [file, args] = node(['killed', 'hold'])
    const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve())
      child.on('exit', () => reject(new Error('the holder exited before holding')))
    })
    child.kill('SIGKILL')
    const store = new FileSessionStore(directory)
    const lease = await store.acquire('killed', { ownerId: 'successor', ttlMs: 60_000, waitMs: 60_000 })
    expect(await store.commit(lease, { expectedVersion: 1, appendMessages: ['continued'] })).toBe(2)
    expect((await store.load('killed'))?.messages).toEqual([
      { owner: `pid-${child.pid}`, held: true },
      'continued',
    ])
  }, 120_000)
})
