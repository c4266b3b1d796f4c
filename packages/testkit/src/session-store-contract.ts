/**
 * `describeSessionStoreContract`: one vitest test per sentence of the `SessionStore` contract
 * (`@pyflue/core`'s `session-store.ts`), for any store, ours or a third party's.
 */
import {
  applySessionCommit,
  type SessionCommit,
  type SessionLease,
  type SessionRecord,
  type SessionStore,
} from '@pyflue/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkSuiteOptions } from './check-options.js'
import { expectPyFlueError } from './expect-errors.js'

/** Options of `describeSessionStoreContract`. */
export interface SessionStoreContractOptions {
  /** Per-test timeout in milliseconds (remote stores may need more). Default 30 000. */
  timeoutMs?: number
  /** The store's workspace bound, so the suite checks it refuses one byte more. Skipped when absent. */
  maxWorkspaceBytes?: number
  /** True when two stores from `makeStore` share their sessions (a database, a directory); checks that they do. */
  shared?: boolean
}

const bytes = (...values: number[]) => new Uint8Array(values)

/**
 * Registers the contract tests for the stores `makeStore` returns. Each test gets a fresh store
 * (closed after the test) and session ids of its own, so stores that share a database may run it.
 */
export function describeSessionStoreContract(
  name: string,
  makeStore: () => SessionStore | Promise<SessionStore>,
  options: SessionStoreContractOptions = {},
): void {
  checkSuiteOptions(
    options,
    ['timeoutMs', 'maxWorkspaceBytes', 'shared'],
    'describeSessionStoreContract options',
  )
  const timeout = options.timeoutMs ?? 30_000
  describe(`SessionStore contract: ${name}`, () => {
    let store: SessionStore
    let id: string
    const extra: SessionStore[] = []

    beforeEach(async () => {
      store = await makeStore()
      id = `contract-${Math.random().toString(36).slice(2, 10)}`
    }, timeout)

    afterEach(async () => {
      for (const other of extra.splice(0)) await other.close()
      await store.close()
    }, timeout)

    const test = (title: string, fn: () => Promise<void>) => it(title, fn, timeout)
    const lease = (owner = 'owner-a', ttlMs = 60_000) => store.acquire(id, { ownerId: owner, ttlMs })

    test('contractVersion is 1 and load of an unknown id resolves undefined', async () => {
      expect(store.contractVersion).toBe(1)
      expect(await store.load(id)).toBeUndefined()
    })

    test('the first commit makes version 1 and load returns everything committed', async () => {
      const held = await lease()
      const version = await store.commit(held, {
        expectedVersion: 0,
        appendMessages: [{ role: 'user', content: 'hi' }],
        python: { kind: 'snapshot', backend: 'monty', engineVersion: '1.2.3', state: bytes(1, 2, 3) },
        workspace: { kind: 'snapshot', files: { '/work/a.txt': bytes(65) } },
        sandbox: { provider: 'e2b', sandboxId: 'sbx-1' },
        extensions: { pending: { run: 1 } },
      })
      expect(version).toBe(1)
      const record = await store.load(id)
      expect(record).toMatchObject({
        sessionId: id,
        version: 1,
        messages: [{ role: 'user', content: 'hi' }],
        python: { backend: 'monty', engineVersion: '1.2.3', deltas: [] },
        sandbox: { provider: 'e2b', sandboxId: 'sbx-1' },
        extensions: { pending: { run: 1 } },
      })
      expect([...(record?.python?.snapshot ?? [])]).toEqual([1, 2, 3])
      expect([...(record?.workspace['/work/a.txt'] ?? [])]).toEqual([65])
      expect(Number.isNaN(Date.parse(record?.updatedAt ?? ''))).toBe(false)
    })

    test('messages are appended in order across commits', async () => {
      const held = await lease()
      await store.commit(held, { expectedVersion: 0, appendMessages: [{ n: 1 }, { n: 2 }] })
      expect(await store.commit(held, { expectedVersion: 1, appendMessages: [{ n: 3 }] })).toBe(2)
      await store.commit(held, { expectedVersion: 2 })
      expect((await store.load(id))?.messages).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
    })

    test('a stale expectedVersion rejects with SessionConflictError and changes nothing', async () => {
      const held = await lease()
      await store.commit(held, { expectedVersion: 0, appendMessages: ['one'] })
      const error = await expectPyFlueError(
        store.commit(held, { expectedVersion: 0, appendMessages: ['two'] }),
        'SESSION_CONFLICT',
      )
      expect(error).toMatchObject({ name: 'SessionConflictError', expectedVersion: 0, actualVersion: 1 })
      expect(await store.load(id)).toMatchObject({ version: 1, messages: ['one'] })
    })

    test('of two commits based on one version, exactly one succeeds', async () => {
      const held = await lease()
      await store.commit(held, { expectedVersion: 0 })
      const results = await Promise.allSettled([
        store.commit(held, { expectedVersion: 1, appendMessages: ['a'] }),
        store.commit(held, { expectedVersion: 1, appendMessages: ['b'] }),
      ])
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
      expect(rejected.reason).toMatchObject({ code: 'SESSION_CONFLICT' })
      expect((await store.load(id))?.messages).toHaveLength(1)
    })

    test('another owner gets SessionBusyError while a lease is held; after release it acquires', async () => {
      const held = await lease('owner-a')
      const error = await expectPyFlueError(
        store.acquire(id, { ownerId: 'owner-b', ttlMs: 60_000 }),
        'SESSION_BUSY',
      )
      expect(error).toMatchObject({ name: 'SessionBusyError', ownerId: 'owner-a' })
      await store.release(held)
      const other = await store.acquire(id, { ownerId: 'owner-b', ttlMs: 60_000 })
      expect(other).toMatchObject({ sessionId: id, ownerId: 'owner-b' })
      expect(other.token).not.toBe(held.token)
    })

    test('with waitMs, acquire waits until the holder releases', async () => {
      const held = await lease('owner-a')
      const waiting = store.acquire(id, { ownerId: 'owner-b', ttlMs: 60_000, waitMs: 60_000 })
      setTimeout(() => void store.release(held), 50)
      expect(await waiting).toMatchObject({ ownerId: 'owner-b' })
    })

    test('with a short waitMs against a long lease, acquire rejects with SessionBusyError', async () => {
      await lease('owner-a')
      await expectPyFlueError(
        store.acquire(id, { ownerId: 'owner-b', ttlMs: 60_000, waitMs: 100 }),
        'SESSION_BUSY',
      )
    })

    test('an expired lease is taken over, and its old owner can no longer commit, renew or delete', async () => {
      const held = await lease('owner-a', 300)
      await store.commit(held, { expectedVersion: 0, appendMessages: ['a'] })
      const next = await store.acquire(id, { ownerId: 'owner-b', ttlMs: 60_000, waitMs: 60_000 })
      await expectPyFlueError(
        store.commit(held, { expectedVersion: 1, appendMessages: ['stale'] }),
        'SESSION_BUSY',
      )
      await expectPyFlueError(store.renew(held), 'SESSION_BUSY')
      await expectPyFlueError(store.delete(held), 'SESSION_BUSY')
      expect(await store.commit(next, { expectedVersion: 1, appendMessages: ['b'] })).toBe(2)
      expect((await store.load(id))?.messages).toEqual(['a', 'b'])
    })

    test('renew extends a current lease; a released lease cannot renew or commit; release twice is a no-op', async () => {
      const held = await lease('owner-a', 60_000)
      const renewed = await store.renew(held, 120_000)
      expect(renewed.token).toBe(held.token)
      expect(renewed.expiresAt).toBeGreaterThanOrEqual(held.expiresAt)
      await store.release(renewed)
      await store.release(renewed)
      await expectPyFlueError(store.renew(renewed), 'SESSION_BUSY')
      await expectPyFlueError(store.commit(renewed, { expectedVersion: 0 }), 'SESSION_BUSY')
      expect(await store.load(id)).toBeUndefined()
    })

    test('Python deltas append after the snapshot; a snapshot compacts them away', async () => {
      const held = await lease()
      const py = { backend: 'monty', engineVersion: '1' }
      await store.commit(held, { expectedVersion: 0, python: { kind: 'snapshot', ...py, state: bytes(9) } })
      await store.commit(held, {
        expectedVersion: 1,
        python: { kind: 'delta', ...py, changed: { x: bytes(1) }, removed: [] },
      })
      await store.commit(held, {
        expectedVersion: 2,
        python: { kind: 'delta', ...py, changed: {}, removed: ['y'] },
      })
      const record = await store.load(id)
      expect(record?.python?.deltas.map((d) => [Object.keys(d.changed), d.removed])).toEqual([
        [['x'], []],
        [[], ['y']],
      ])
      expect([...(record?.python?.deltas[0]?.changed.x ?? [])]).toEqual([1])
      await store.commit(held, { expectedVersion: 3, python: { kind: 'snapshot', ...py, state: bytes(7) } })
      const compacted = await store.load(id)
      expect(compacted?.python?.deltas).toEqual([])
      expect([...(compacted?.python?.snapshot ?? [])]).toEqual([7])
    })

    test('a delta of another engine version, or with no stored state, rejects with StateFormatError and changes nothing', async () => {
      const held = await lease()
      await expectPyFlueError(
        store.commit(held, {
          expectedVersion: 0,
          python: { kind: 'delta', backend: 'monty', engineVersion: '1', changed: {}, removed: [] },
        }),
        'STATE_FORMAT',
      )
      expect(await store.load(id)).toBeUndefined()
      await store.commit(held, {
        expectedVersion: 0,
        python: { kind: 'snapshot', backend: 'monty', engineVersion: '1', state: bytes(1) },
      })
      await expectPyFlueError(
        store.commit(held, {
          expectedVersion: 1,
          python: { kind: 'delta', backend: 'monty', engineVersion: '2', changed: {}, removed: [] },
        }),
        'STATE_FORMAT',
      )
      expect(await store.load(id)).toMatchObject({ version: 1, python: { engineVersion: '1', deltas: [] } })
    })

    test('workspace deltas write and remove files; a snapshot replaces all; sandbox null forgets it', async () => {
      const held = await lease()
      await store.commit(held, {
        expectedVersion: 0,
        workspace: { kind: 'snapshot', files: { '/a': bytes(1), '/b': bytes(2) } },
        sandbox: { provider: 'vercel', sandboxId: 'v1' },
      })
      await store.commit(held, {
        expectedVersion: 1,
        workspace: { kind: 'delta', written: { '/c': bytes(3) }, removed: ['/a'] },
        sandbox: null,
      })
      const record = await store.load(id)
      expect(Object.keys(record?.workspace ?? {}).sort()).toEqual(['/b', '/c'])
      expect(record?.sandbox).toBeUndefined()
      await store.commit(held, {
        expectedVersion: 2,
        workspace: { kind: 'snapshot', files: { '/z': bytes() } },
      })
      expect(Object.keys((await store.load(id))?.workspace ?? {})).toEqual(['/z'])
    })

    test('extensions set and remove named values', async () => {
      const held = await lease()
      await store.commit(held, { expectedVersion: 0, extensions: { a: 1, b: { c: [2] } } })
      await store.commit(held, { expectedVersion: 1, extensions: { a: null } })
      expect((await store.load(id))?.extensions).toEqual({ b: { c: [2] } })
    })

    if (options.maxWorkspaceBytes !== undefined) {
      const max = options.maxWorkspaceBytes
      test('a workspace over the bound rejects with SessionTooLargeError and changes nothing', async () => {
        const held = await lease()
        await store.commit(held, {
          expectedVersion: 0,
          workspace: { kind: 'snapshot', files: { '/full': new Uint8Array(max) } },
        })
        await expectPyFlueError(
          store.commit(held, {
            expectedVersion: 1,
            workspace: { kind: 'delta', written: { '/one': bytes(1) }, removed: [] },
          }),
          'SESSION_TOO_LARGE',
        )
        expect(await store.load(id)).toMatchObject({ version: 1 })
        expect(Object.keys((await store.load(id))?.workspace ?? {})).toEqual(['/full'])
      })
    }

    test('a loaded record and a committed change share no objects with the store', async () => {
      const held = await lease()
      const message = { text: 'orig' }
      const state = bytes(5)
      await store.commit(held, {
        expectedVersion: 0,
        appendMessages: [message],
        python: { kind: 'snapshot', backend: 'm', engineVersion: '1', state },
      })
      message.text = 'changed'
      state[0] = 0
      const loaded = await store.load(id)
      ;(loaded?.messages[0] as { text: string }).text = 'changed too'
      loaded?.python?.snapshot?.fill(0)
      const again = await store.load(id)
      expect(again?.messages).toEqual([{ text: 'orig' }])
      expect([...(again?.python?.snapshot ?? [])]).toEqual([5])
    })

    test('delete forgets the record and the lease', async () => {
      const held: SessionLease = await lease()
      await store.commit(held, { expectedVersion: 0, appendMessages: ['x'] })
      await store.delete(held)
      expect(await store.load(id)).toBeUndefined()
      const again = await store.acquire(id, { ownerId: 'owner-b', ttlMs: 60_000 })
      expect(await store.commit(again, { expectedVersion: 0 })).toBe(1)
    })

    if (options.shared)
      test('a second store instance from makeStore sees the same sessions and leases', async () => {
        const other = await makeStore()
        extra.push(other)
        const held = await lease('owner-a')
        await store.commit(held, { expectedVersion: 0, appendMessages: ['shared'] })
        expect((await other.load(id))?.messages).toEqual(['shared'])
        await expectPyFlueError(other.acquire(id, { ownerId: 'owner-b', ttlMs: 60_000 }), 'SESSION_BUSY')
        await expectPyFlueError(
          other.commit({ ...held, token: 'forged' }, { expectedVersion: 1 }),
          'SESSION_BUSY',
        )
      })

    test('a commit of the wrong shape rejects with InvalidArgumentError and changes nothing', async () => {
      const held = await lease()
      await expectPyFlueError(
        store.commit(held, {
          expectedVersion: 0,
          appendMessages: ['kept out'],
          workspace: { kind: 'delta', written: { 'relative.txt': bytes(1) }, removed: [] },
        }),
        'INVALID_ARGUMENT',
      )
      await expectPyFlueError(
        store.commit(held, { expectedVersion: 0, bogus: 1 } as never),
        'INVALID_ARGUMENT',
      )
      expect(await store.load(id)).toBeUndefined()
      expect(await store.commit(held, { expectedVersion: 0, appendMessages: ['ok'] })).toBe(1)
    })

    test('30 mixed commits load as applySessionCommit builds them in memory', async () => {
      const held = await lease()
      let expected: SessionRecord | undefined
      for (const [n, change] of mixedCommits(30, options.maxWorkspaceBytes).entries()) {
        const next = applySessionCommit(id, expected, change, { maxWorkspaceBytes: Number.POSITIVE_INFINITY })
        expect(await store.commit(held, change)).toBe(n + 1)
        expected = next
        if (n % 10 === 9) expect(comparable(await store.load(id))).toEqual(comparable(expected))
      }
      expect(comparable(await store.load(id))).toEqual(comparable(expected))
    })

    test('bad acquire options are refused with InvalidArgumentError', async () => {
      await expectPyFlueError(store.acquire(id, { ownerId: '', ttlMs: 1000 }), 'INVALID_ARGUMENT')
      await expectPyFlueError(store.acquire(id, { ownerId: 'a', ttlMs: 0 }), 'INVALID_ARGUMENT')
      await expectPyFlueError(
        store.acquire(id, { ownerId: 'a', ttlMs: 1000, bogus: 1 } as never),
        'INVALID_ARGUMENT',
      )
    })
  })
}

/**
 * A fixed sequence of `count` commits mixing every kind of change: messages, Python snapshots and
 * deltas, workspace snapshots, writes, rewrites and removals, sandbox set and forgotten, extensions
 * set and removed. Workspace files stay small, so the sequence fits any bound of 64 bytes or more.
 */
function mixedCommits(count: number, maxWorkspaceBytes = Number.POSITIVE_INFINITY): SessionCommit[] {
  const py = { backend: 'monty', engineVersion: '1' }
  const commits: SessionCommit[] = []
  const size = maxWorkspaceBytes < 256 ? 1 : 3
  for (let n = 0; n < count; n++) {
    const change: SessionCommit = { expectedVersion: n }
    if (n % 3 !== 2)
      change.appendMessages = Array.from({ length: (n % 4) + 1 }, (_, k) => ({ n, k, text: `m${n}` }))
    if (n === 0 || n % 11 === 0) change.python = { kind: 'snapshot', ...py, state: bytes(n, n + 1, n + 2) }
    else if (n % 2 === 1)
      change.python = {
        kind: 'delta',
        ...py,
        changed: { [`v${n}`]: bytes(n) },
        removed: n % 5 === 0 ? [`v${n - 4}`] : [],
      }
    if (n === 0 || n === 17)
      change.workspace = {
        kind: 'snapshot',
        files: { '/start.txt': bytes(n), [`/d${n}/f.txt`]: new Uint8Array(size) },
      }
    else if (n % 4 === 1)
      change.workspace = {
        kind: 'delta',
        written: { [`/f${n % 7}.txt`]: new Uint8Array(size).fill(n), '/start.txt': bytes(n, n) },
        removed: n % 8 === 5 ? [`/f${(n + 3) % 7}.txt`, '/never-there'] : [],
      }
    else if (n % 4 === 3) change.workspace = { kind: 'delta', written: {}, removed: [`/f${(n - 2) % 7}.txt`] }
    if (n % 6 === 2) change.sandbox = { provider: 'e2b', sandboxId: `sbx-${n}` }
    if (n % 6 === 5) change.sandbox = null
    if (n % 5 === 3)
      change.extensions = { [`e${n % 3}`]: { n, list: [n, 'x'] }, ...(n > 10 ? { e1: null } : {}) }
    commits.push(change)
  }
  return commits
}

/** A record with byte arrays as plain arrays and without `updatedAt`, so records compare by value. */
function comparable(record: SessionRecord | undefined): unknown {
  if (!record) return record
  const { updatedAt: _, ...rest } = record
  return plain(rest)
}

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Array.from(value) }
  if (Array.isArray(value)) return value.map(plain)
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]))
  return value
}
