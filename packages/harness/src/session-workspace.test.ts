/** A session's workspace files continue with it: saved after each run, restored where it opens next. */
import {
  InMemorySessionStore as ContractMemoryStore,
  type Sandbox,
  type SessionCommit,
  type SessionLease,
  SessionTooLargeError,
} from '@pyflue/core'
import { createVirtualSandbox, virtualSandbox } from '@pyflue/sandbox-virtual'
import { describe, expect, it } from 'vitest'
import { init } from './init.js'
import { InMemorySessionStore } from './session-store.js'
import { keepsWorkspaceFiles, WorkspaceReader, workspaceDelta } from './session-workspace.js'
import { scriptedModel } from './testing/scripted-model.js'

const bytes = (text: string) => new TextEncoder().encode(text)

/** The real core in-memory store, with every commit it is given kept for inspection. */
class RecordingStore extends ContractMemoryStore {
  readonly commits: SessionCommit[] = []
  override commit(lease: SessionLease, change: SessionCommit): Promise<number> {
    this.commits.push(structuredClone(change))
    return super.commit(lease, change)
  }
}

async function nextOwner(store: ContractMemoryStore, id: string) {
  const lease = await store.acquire(id, { ownerId: 'probe', ttlMs: 60_000, waitMs: 60_000 })
  await store.release(lease)
}

describe('workspace files through init({ store })', () => {
  for (const [label, makeStore] of [
    ['a core-contract store', () => new RecordingStore()],
    ['a harness store', () => new InMemorySessionStore()],
  ] as const) {
    it(`continue in the next agent's virtual sandbox (${label})`, async () => {
      const store = makeStore()
      const first = await init({ pythonBackend: 'monty', sandbox: 'virtual', store })
      const session = await first.session('files')
      await session.sandbox!.writeFile('/notes/plan.md', '# plan')
      await session.sandbox!.writeFile('/data/raw.bin', new Uint8Array([0, 255, 1, 254]))
      await session.runPython(
        "from pathlib import Path\nPath('/notes/from_python.txt').write_text('hello')\ncount = 3",
      )
      await session.close()
      if (store instanceof ContractMemoryStore) await nextOwner(store, 'files')

      const second = await init({ pythonBackend: 'monty', sandbox: 'virtual', store })
      const again = await second.session('files')
      expect(await again.sandbox!.readFile('/notes/plan.md')).toBe('# plan')
      expect([...(await again.sandbox!.readFileBuffer('/data/raw.bin'))]).toEqual([0, 255, 1, 254])
      const run = await again.runPython(
        "from pathlib import Path\n[Path('/notes/from_python.txt').read_text(), count]",
      )
      expect(run.result).toEqual(['hello', 3])
      await second.close()
      await first.close()
    })
  }

  it('commits only the files a save changed, and removals', async () => {
    const store = new RecordingStore()
    const agent = await init({ pythonBackend: 'monty', sandbox: 'virtual', store })
    const session = await agent.session('delta')
    await session.sandbox!.writeFile('/a.txt', 'a')
    await session.sandbox!.writeFile('/b.txt', 'b')
    await session.runPython('x = 1')
    await session.sandbox!.writeFile('/b.txt', 'B')
    await session.sandbox!.rm('/a.txt')
    await session.runPython('x = 2')
    await session.runPython('x = 3')
    const changes = store.commits.map((c) => c.workspace)
    expect(changes[0]).toEqual({
      kind: 'delta',
      written: { '/a.txt': bytes('a'), '/b.txt': bytes('b') },
      removed: [],
    })
    expect(changes[1]).toEqual({ kind: 'delta', written: { '/b.txt': bytes('B') }, removed: ['/a.txt'] })
    expect(changes[2]).toBeUndefined()
    expect(Object.keys((await store.load('delta'))!.workspace)).toEqual(['/b.txt'])
    await agent.close()
  })

  it('restores the files into a read-only sandbox (the policy binds the model, not the host)', async () => {
    const store = new RecordingStore()
    const writer = await init({ pythonBackend: 'monty', sandbox: 'virtual', store })
    const session = await writer.session('ro')
    await session.sandbox!.writeFile('/kept.txt', 'kept')
    await session.save()
    await writer.close()
    await nextOwner(store, 'ro')
    const reader = await init({
      pythonBackend: 'monty',
      sandbox: 'virtual',
      sandboxPolicy: { allowWrite: false },
      store,
    })
    const again = await reader.session('ro')
    expect(await again.sandbox!.readFile('/kept.txt')).toBe('kept')
    await expect(again.sandbox!.writeFile('/other.txt', 'x')).rejects.toMatchObject({ code: 'WRITE_REFUSED' })
    await reader.close()
  })

  it('records a provider sandbox by its id instead of copying its files', async () => {
    const store = new RecordingStore()
    const provider = {
      name: 'provider-like',
      async createSandbox() {
        const local = await createVirtualSandbox()
        // A sandbox that has a provider id: its files outlive the process, so they are not copied.
        return new Proxy(local, {
          get(target, key) {
            if (key === 'id') return 'sbx-42'
            if (key === 'name') return 'provider-like'
            const value = Reflect.get(target, key, target)
            return typeof value === 'function' ? value.bind(target) : value
          },
        }) as Sandbox
      },
    }
    const model = scriptedModel([{ text: 'ok' }, { text: 'ok again' }])
    const agent = await init({ model, sandbox: provider, store })
    const session = await agent.session('remote')
    await session.sandbox!.writeFile('/remote.txt', 'stays there')
    await session.prompt('hi')
    await session.prompt('again')
    expect(store.commits[0]?.sandbox).toEqual({ provider: 'provider-like', sandboxId: 'sbx-42' })
    expect(store.commits[1]?.sandbox).toBeUndefined()
    expect(store.commits.every((c) => c.workspace === undefined)).toBe(true)
    expect((await store.load('remote'))?.sandbox).toEqual({ provider: 'provider-like', sandboxId: 'sbx-42' })
    await agent.close()
  })
})

describe('WorkspaceReader', () => {
  it('refuses a workspace past its byte or file bound with SessionTooLargeError', async () => {
    const sandbox = await virtualSandbox().createSandbox({ id: 'big' })
    await sandbox.writeFile('/one.bin', new Uint8Array(600))
    await sandbox.writeFile('/two.bin', new Uint8Array(600))
    await expect(new WorkspaceReader(sandbox, 'big', { maxBytes: 1000 }).read()).rejects.toBeInstanceOf(
      SessionTooLargeError,
    )
    const byCount = new WorkspaceReader(sandbox, 'big', { maxFiles: 1 }).read()
    await expect(byCount).rejects.toMatchObject({ code: 'SESSION_TOO_LARGE', part: 'workspace file count' })
    expect(Object.keys(await new WorkspaceReader(sandbox, 'big').read()).sort()).toEqual([
      '/one.bin',
      '/two.bin',
    ])
    await sandbox.close?.()
  })

  it('sees a rewrite of the same size made right after a read', async () => {
    const sandbox = await virtualSandbox().createSandbox({ id: 'rewrite' })
    const reader = new WorkspaceReader(sandbox, 'rewrite')
    await sandbox.writeFile('/f.txt', 'aaaa')
    expect(await reader.read()).toEqual({ '/f.txt': bytes('aaaa') })
    await sandbox.writeFile('/f.txt', 'bbbb')
    expect(await reader.read()).toEqual({ '/f.txt': bytes('bbbb') })
    await sandbox.close?.()
  })

  it('keeps the files of sandboxes without a provider id only', () => {
    expect(keepsWorkspaceFiles({ id: undefined } as unknown as Sandbox)).toBe(true)
    expect(keepsWorkspaceFiles({ id: 'sbx' } as unknown as Sandbox)).toBe(false)
  })
})

describe('workspaceDelta', () => {
  it('lists written, changed and removed paths only', () => {
    const previous = { '/same': bytes('s'), '/changed': bytes('1'), '/gone': bytes('g') }
    const current = { '/same': bytes('s'), '/changed': bytes('2'), '/new': bytes('n') }
    expect(workspaceDelta(previous, current)).toEqual({
      written: { '/changed': bytes('2'), '/new': bytes('n') },
      removed: ['/gone'],
    })
    expect(workspaceDelta(current, current)).toEqual({ written: {}, removed: [] })
  })
})
