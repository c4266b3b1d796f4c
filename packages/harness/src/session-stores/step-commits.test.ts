/**
 * A prompt commits at step boundaries: a prompt that fails, or a process killed mid-prompt, loses
 * at most the step in flight, and whoever continues the session neither repeats nor loses a
 * committed step.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InMemorySessionStore } from '@pyflue/core'
import type { ModelMessage } from 'ai'
import { describe, expect, it } from 'vitest'
import { init } from '../init.js'
import { scriptedModel } from '../testing/scripted-model.js'
import { FileSessionStore } from './file-store.js'

const child = fileURLToPath(new URL('../../test/step-commit.child.ts', import.meta.url))
const roles = (messages: readonly unknown[]) => messages.map((m) => (m as ModelMessage).role)

describe('step-boundary commits', () => {
  it('a prompt failing in step 2 leaves step 1 committed: its messages and Python state', async () => {
    const store = new InMemorySessionStore()
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'run_code', input: { code: 'open_total = 5' } }] },
      () => {
        throw new Error('the provider went away')
      },
    ])
    const agent = await init({ model, pythonBackend: 'monty', sandbox: 'virtual', store })
    const session = await agent.session('s')
    await expect(session.prompt('compute')).rejects.toThrow(/provider went away/)
    expect(roles(session.messages)).toEqual(['user', 'assistant', 'tool'])
    const stored = await store.load('s')
    expect(roles(stored!.messages)).toEqual(['user', 'assistant', 'tool'])
    await agent.close()

    const next = await init({
      model: scriptedModel([{ text: 'done' }]),
      pythonBackend: 'monty',
      store,
      sessionLease: { waitMs: 60_000 },
    })
    const again = await next.session('s')
    expect((await again.runPython('open_total')).result).toBe(5)
    await again.prompt('go on')
    expect(roles((await store.load('s'))!.messages)).toEqual([
      'user',
      'assistant',
      'tool',
      'user',
      'assistant',
    ])
    await next.close()
  })

  it('a one-step prompt is committed once (the reply adds no second commit)', async () => {
    const store = new InMemorySessionStore()
    const agent = await init({ model: scriptedModel([{ text: 'hi' }]), store })
    const session = await agent.session('once')
    await session.prompt('hello')
    const record = await store.load('once')
    expect(record?.version).toBe(1)
    expect(roles(record!.messages)).toEqual(['user', 'assistant'])
    await agent.close()
  })

  it('after SIGKILL mid-prompt, another process continues from the last committed step', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'pyflue-step-kill-'))
    try {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, directory], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      await new Promise<void>((resolve, reject) => {
        let out = ''
        proc.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes('asking-for-step-2')) resolve()
        })
        proc.on('exit', (code) => reject(new Error(`the child exited (${code}) before step 2`)))
      })
      proc.kill('SIGKILL')
      await new Promise((resolve) => proc.once('exit', resolve))

      const store = new FileSessionStore(directory)
      const agent = await init({
        model: scriptedModel([{ text: 'continued' }]),
        pythonBackend: 'monty',
        sandbox: 'virtual',
        store,
        sessionLease: { waitMs: 60_000 },
      })
      const session = await agent.session('killed-mid-prompt')
      expect(roles(session.messages)).toEqual(['user', 'assistant', 'tool'])
      expect((await session.runPython('x')).result).toBe(5)
      expect(await session.sandbox!.readFile('/step1.txt')).toBe('one')
      await session.prompt('continue')
      const record = await store.load('killed-mid-prompt')
      expect(roles(record!.messages)).toEqual(['user', 'assistant', 'tool', 'user', 'assistant'])
      await agent.close()
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  }, 120_000)
})
