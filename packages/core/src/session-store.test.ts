import { describe, expect, it } from 'vitest'
import { InMemorySessionStore } from './in-memory-session-store.js'
import { assertPythonStateCompatible, workspaceBytes } from './session-store.js'

describe('assertPythonStateCompatible', () => {
  const state = { backend: 'monty', engineVersion: '0.0.3', deltas: [] }

  it('accepts the same backend and engine version', () => {
    expect(() => assertPythonStateCompatible(state, { name: 'monty', engineVersion: '0.0.3' })).not.toThrow()
  })

  it('refuses another engine version or backend with StateFormatError naming both', () => {
    expect(() => assertPythonStateCompatible(state, { name: 'monty', engineVersion: '0.0.4' })).toThrow(
      expect.objectContaining({
        code: 'STATE_FORMAT',
        reason: 'version',
        message: expect.stringContaining('0.0.3'),
      }),
    )
    expect(() => assertPythonStateCompatible(state, { name: 'cpython', engineVersion: '0.0.3' })).toThrow(
      expect.objectContaining({ code: 'STATE_FORMAT', reason: 'backend' }),
    )
  })
})

describe('InMemorySessionStore options', () => {
  it('refuses unknown keys and a bad bound', () => {
    expect(() => new InMemorySessionStore({ maxWorkspace: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    expect(() => new InMemorySessionStore({ maxWorkspaceBytes: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('workspaceBytes sums file contents', () => {
    expect(workspaceBytes({ '/a': new Uint8Array(3), '/b': new Uint8Array(4) })).toBe(7)
  })
})
