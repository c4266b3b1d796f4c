import { describe, expect, it } from 'vitest'
import { checkSessionCommit, touchedWorkspacePaths } from './check-session-commit.js'

const bytes = (n: number) => new Uint8Array(n)
const options = { maxWorkspaceBytes: 10 }

describe('checkSessionCommit', () => {
  it('resolves the next head: version, Python backend and the workspace total from touched sizes only', () => {
    const head = { version: 3, python: { backend: 'monty', engineVersion: '1' }, workspaceBytes: 9 }
    const change = {
      expectedVersion: 3,
      python: { kind: 'delta' as const, backend: 'monty', engineVersion: '1', changed: {}, removed: [] },
      workspace: {
        kind: 'delta' as const,
        written: { '/a': bytes(2), '/new': bytes(1) },
        removed: ['/b', '/a'],
      },
    }
    expect(touchedWorkspacePaths(change)).toEqual({ replacesAll: false, paths: ['/b', '/a', '/new'] })
    // '/a' (4 bytes) and '/b' (3 bytes) go, '/a' comes back with 2 and '/new' adds 1: 9 - 7 + 3.
    expect(
      checkSessionCommit('s', head, change, { ...options, storedSizes: { '/a': 4, '/b': 3, '/c': 2 } }),
    ).toEqual({ version: 4, python: { backend: 'monty', engineVersion: '1' }, workspaceBytes: 5 })
  })

  it('a snapshot replaces the total; past the bound it is SessionTooLargeError', () => {
    const snapshot = { kind: 'snapshot' as const, files: { '/x': bytes(6), '/y': bytes(5) } }
    expect(touchedWorkspacePaths({ expectedVersion: 0, workspace: snapshot })).toEqual({
      replacesAll: true,
      paths: ['/x', '/y'],
    })
    expect(() =>
      checkSessionCommit('s', undefined, { expectedVersion: 0, workspace: snapshot }, options),
    ).toThrow(expect.objectContaining({ code: 'SESSION_TOO_LARGE', limitBytes: 10, actualBytes: 11 }))
  })

  it('refuses a stale version, a delta without state and a delta of another engine with typed errors', () => {
    expect(() =>
      checkSessionCommit('s', { version: 2, workspaceBytes: 0 }, { expectedVersion: 1 }, options),
    ).toThrow(expect.objectContaining({ code: 'SESSION_CONFLICT', expectedVersion: 1, actualVersion: 2 }))
    const delta = { kind: 'delta' as const, backend: 'monty', engineVersion: '2', changed: {}, removed: [] }
    expect(() => checkSessionCommit('s', undefined, { expectedVersion: 0, python: delta }, options)).toThrow(
      expect.objectContaining({ code: 'STATE_FORMAT', reason: 'corrupt' }),
    )
    const head = { version: 1, python: { backend: 'monty', engineVersion: '1' }, workspaceBytes: 0 }
    expect(() => checkSessionCommit('s', head, { expectedVersion: 1, python: delta }, options)).toThrow(
      expect.objectContaining({ code: 'STATE_FORMAT', reason: 'version' }),
    )
  })

  it.each([
    [{ expectedVersion: -1 }, 'expectedVersion'],
    [{ expectedVersion: 0, bogus: 1 }, 'commit.bogus'],
    [{ expectedVersion: 0, appendMessages: 'hi' }, 'appendMessages'],
    [
      { expectedVersion: 0, python: { kind: 'snapshot', backend: 'm', engineVersion: '1', state: [1] } },
      'python.state',
    ],
    [{ expectedVersion: 0, python: { kind: 'other', backend: 'm', engineVersion: '1' } }, 'python.kind'],
    [
      { expectedVersion: 0, workspace: { kind: 'delta', written: { 'rel.txt': bytes(1) }, removed: [] } },
      'workspace.written',
    ],
    [{ expectedVersion: 0, workspace: { kind: 'delta', written: {}, removed: [3] } }, 'workspace.removed'],
    [{ expectedVersion: 0, workspace: { kind: 'snapshot', files: { '/a': 'text' } } }, 'workspace.files./a'],
    [{ expectedVersion: 0, sandbox: { provider: 'e2b' } }, 'sandbox.sandboxId'],
    [{ expectedVersion: 0, extensions: [1] }, 'extensions'],
  ])('refuses the malformed commit %j with InvalidArgumentError naming %s', (change, argument) => {
    expect(() => checkSessionCommit('s', undefined, change as never, options)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument }),
    )
  })
})
