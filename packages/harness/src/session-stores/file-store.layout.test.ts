/**
 * Layout 2 of the directory store: a commit writes only what it changed, leftovers of a commit
 * that crashed before its head was renamed are ignored and cleaned, loads without the lock see
 * whole commits only, and a folder of layout 1 is refused with a typed error.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { appendFile, mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { FileSessionStore } from './file-store.js'

const directory = mkdtempSync(join(tmpdir(), 'pyflue-file-layout-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))
const bytes = (...values: number[]) => new Uint8Array(values)
const lease = (store: FileSessionStore, id: string) => store.acquire(id, { ownerId: 'a', ttlMs: 60_000 })

describe('FileSessionStore layout 2', () => {
  it('a commit appends its messages and writes only the files it changed', async () => {
    const store = new FileSessionStore(directory)
    const held = await lease(store, 'only-changes')
    await store.commit(held, {
      expectedVersion: 0,
      appendMessages: ['one'],
      python: { kind: 'snapshot', backend: 'monty', engineVersion: '1', state: new Uint8Array(1000) },
      workspace: { kind: 'snapshot', files: { '/a': bytes(1), '/b': bytes(2) } },
    })
    const folder = join(directory, 'only-changes')
    const blobsBefore = await readdir(join(folder, 'blobs'))
    const inodes = async () =>
      Object.fromEntries(
        await Promise.all(
          (await readdir(folder)).map(async (name) => [name, (await stat(join(folder, name))).ino] as const),
        ),
      )
    const before = await inodes()
    await store.commit(held, {
      expectedVersion: 1,
      appendMessages: ['two'],
      workspace: { kind: 'delta', written: { '/b': bytes(3) }, removed: [] },
    })
    const after = await inodes()
    const blobsAfter = await readdir(join(folder, 'blobs'))
    // '/a' keeps its blob, '/b' gets a new one and its old blob is gone.
    expect(blobsAfter.filter((b) => blobsBefore.includes(b))).toHaveLength(1)
    expect(blobsAfter).toHaveLength(2)
    // The messages file, the snapshot and the index log are the same files, appended to at most.
    const python = Object.keys(before).find((name) => name.startsWith('python-')) as string
    const index = Object.keys(before).find((name) => name.startsWith('files-')) as string
    for (const name of ['messages.jsonl', python, index]) expect(after[name]).toBe(before[name])
    expect((await readFile(join(folder, 'messages.jsonl'), 'utf8')).split('\n')).toEqual([
      '"one"',
      '"two"',
      '',
    ])
    expect((await store.load('only-changes'))?.messages).toEqual(['one', 'two'])
  })

  it('bytes and files a crashed commit left past the head are ignored, then cut and swept', async () => {
    const store = new FileSessionStore(directory)
    const held = await lease(store, 'crashed')
    await store.commit(held, {
      expectedVersion: 0,
      appendMessages: [{ n: 1 }],
      workspace: { kind: 'snapshot', files: { '/kept': bytes(7) } },
    })
    const folder = join(directory, 'crashed')
    // What a commit killed before renaming its head leaves: half a message line, an orphan blob
    // and snapshot, a temporary head.
    await appendFile(join(folder, 'messages.jsonl'), '{"n": 2, "half')
    await writeFile(join(folder, 'blobs', 'orphan'), 'x')
    await writeFile(join(folder, 'python-9-orphan.bin'), 'x')
    await writeFile(join(folder, 'head.json.dead.tmp'), '{')
    expect(await store.load('crashed')).toMatchObject({ version: 1, messages: [{ n: 1 }] })
    await store.commit(held, { expectedVersion: 1, appendMessages: [{ n: 3 }] })
    expect((await store.load('crashed'))?.messages).toEqual([{ n: 1 }, { n: 3 }])
    // The next compaction (here a workspace snapshot) sweeps what no head names.
    await store.commit(held, {
      expectedVersion: 2,
      workspace: { kind: 'snapshot', files: { '/new': bytes(1) } },
    })
    const names = await readdir(folder)
    expect(names.filter((n) => n.includes('orphan') || n.endsWith('.tmp'))).toEqual([])
    expect(await readdir(join(folder, 'blobs'))).toHaveLength(1)
    expect(Object.keys((await store.load('crashed'))?.workspace ?? {})).toEqual(['/new'])
  })

  it('loads without the lock while another store commits see whole commits only', async () => {
    const writer = new FileSessionStore(directory)
    const reader = new FileSessionStore(directory)
    const held = await lease(writer, 'racing')
    const py = { backend: 'monty', engineVersion: '1' }
    let version = await writer.commit(held, {
      expectedVersion: 0,
      python: { kind: 'snapshot', ...py, state: bytes(0) },
    })
    const writing = (async () => {
      for (let n = 1; n <= 60; n++) {
        version = await writer.commit(held, {
          expectedVersion: version,
          appendMessages: [n],
          // Every fifth commit compacts the Python state and rewrites the workspace: files go away.
          ...(n % 5 === 0
            ? {
                python: { kind: 'snapshot' as const, ...py, state: bytes(n) },
                workspace: { kind: 'snapshot' as const, files: { [`/f${n}`]: bytes(n) } },
              }
            : { workspace: { kind: 'delta' as const, written: { [`/f${n}`]: bytes(n) }, removed: [] } }),
        })
      }
    })()
    let loads = 0
    let done = false
    void writing.finally(() => {
      done = true
    })
    while (!done || loads === 0) {
      const record = await reader.load('racing')
      loads += 1
      const v = record?.version ?? 0
      // Version v holds exactly the messages 1..v-1, and the files since the last multiple of 5.
      expect(record?.messages).toEqual(Array.from({ length: v - 1 }, (_, i) => i + 1))
      const last = v - 1
      const since = last - (last % 5)
      const paths = Array.from(
        { length: last - Math.max(since, 1) + 1 },
        (_, i) => `/f${Math.max(since, 1) + i}`,
      )
      expect(Object.keys(record?.workspace ?? {}).sort()).toEqual(last === 0 ? [] : paths.sort())
      expect([...(record?.python?.snapshot ?? [])]).toEqual([since])
    }
    await writing
    expect(loads).toBeGreaterThan(0)
  })

  it('the index log is compacted as deltas pile up, and a store with a cold cache reads it right', async () => {
    const first = new FileSessionStore(directory)
    let held = await lease(first, 'compacting')
    const folder = join(directory, 'compacting')
    const indexName = async () => (await readdir(folder)).filter((n) => n.startsWith('files-'))
    let version = 0
    const names = new Set<string>()
    for (let n = 0; n < 150; n++) {
      // Halfway, another store (another process, as far as caches go) takes over.
      const store = n < 75 ? first : new FileSessionStore(directory)
      if (n === 75) {
        await first.release(held)
        held = await lease(store, 'compacting')
      }
      version = await store.commit(held, {
        expectedVersion: version,
        workspace: {
          kind: 'delta',
          written: { [`/f${n % 3}`]: bytes(n) },
          removed: n % 10 === 9 ? ['/f0'] : [],
        },
      })
      for (const name of await indexName()) names.add(name)
    }
    expect(await indexName()).toHaveLength(1)
    expect(names.size).toBeGreaterThan(2)
    // Last writes: /f0 at 147 (the removal at 149 drops it), /f1 at 148, /f2 at 149.
    const record = await new FileSessionStore(directory).load('compacting')
    expect(Object.fromEntries(Object.entries(record?.workspace ?? {}).map(([p, b]) => [p, [...b]]))).toEqual({
      '/f1': [148],
      '/f2': [149],
    })
    expect(await readdir(join(folder, 'blobs'))).toHaveLength(2)
  })

  it('refuses a folder of layout 1 with StateFormatError saying what to do', async () => {
    const folder = join(directory, 'old')
    await mkdir(folder, { recursive: true })
    await writeFile(
      join(folder, 'head.json'),
      JSON.stringify({ format: 'pyflue-session-dir', version: 1, workspaceSizes: {} }),
    )
    await writeFile(join(folder, 'c-1.json'), JSON.stringify({ expectedVersion: 0 }))
    const store = new FileSessionStore(directory)
    await expect(store.load('old')).rejects.toMatchObject({
      code: 'STATE_FORMAT',
      reason: 'version',
      message: expect.stringContaining("Delete the session's folder"),
    })
    const held = await lease(store, 'old')
    await expect(store.commit(held, { expectedVersion: 1 })).rejects.toMatchObject({ code: 'STATE_FORMAT' })
    expect((await readdir(folder)).sort()).toEqual(['c-1.json', 'head.json', 'lease.json'])
  })

  it('flushes a commit to the disk before it resolves (fsync), unless sync is false', async () => {
    const handle = await open(join(directory, 'probe'), 'w')
    const fileHandle = Object.getPrototypeOf(handle) as { sync: () => Promise<void> }
    await handle.close()
    const flushes = vi.spyOn(fileHandle, 'sync')
    try {
      const commit = async (store: FileSessionStore, id: string) => {
        const held = await lease(store, id)
        flushes.mockClear()
        await store.commit(held, {
          expectedVersion: 0,
          appendMessages: ['m'],
          python: { kind: 'snapshot', backend: 'monty', engineVersion: '1', state: bytes(7) },
          workspace: { kind: 'snapshot', files: { '/a': bytes(1) } },
        })
        return flushes.mock.calls.length
      }
      // messages, snapshot, blob, index, head (its temporary file), and the names: blobs/, the
      // session folder (before and after the head's rename) and the store directory.
      expect(await commit(new FileSessionStore(directory), 'durable')).toBeGreaterThanOrEqual(9)
      expect(await commit(new FileSessionStore(directory, { sync: false }), 'scratch')).toBe(0)
      const record = await new FileSessionStore(directory).load('scratch')
      expect(record?.messages).toEqual(['m'])
    } finally {
      flushes.mockRestore()
    }
  })

  it('refuses a sync option that is not a boolean', () => {
    expect(() => new FileSessionStore(directory, { sync: 'yes' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('sync') }),
    )
  })
})
