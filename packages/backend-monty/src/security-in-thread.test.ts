/**
 * Security of the execution modes: the calling-thread mode is an explicit opt-in named for
 * trusted code, and `close()` ends a run in progress with `ClosedError` in both modes.
 */
import { ClosedError, InvalidArgumentError } from '@pyflue/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { montyBackend } from './monty-backend-factory.js'
import { createMontyPool } from './monty-pool.js'

const pool = createMontyPool({ size: 2 })
afterAll(() => pool.close())

describe('in-thread execution is named for trusted code only', () => {
  it("the old name 'in-thread' is refused with the new name and why", () => {
    for (const make of [
      () => createMontyBackend({ execution: 'in-thread' } as never),
      () => montyBackend({ execution: 'in-thread' } as never),
    ]) {
      let caught: unknown
      try {
        make()
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(InvalidArgumentError)
      expect(caught).toMatchObject({ argument: 'execution' })
      expect((caught as Error).message).toContain("'in-thread-trusted-code-only'")
      expect((caught as Error).message).toMatch(/trust/)
    }
    expect(() => createMontyBackend({ execution: 'thread' } as never)).toThrow(InvalidArgumentError)
    expect(createMontyBackend({ execution: 'in-thread-trusted-code-only' })).toBeDefined()
  })

  for (const execution of ['pool', 'in-thread-trusted-code-only'] as const) {
    it(`${execution}: close() during a run rejects it with ClosedError, never a result`, async () => {
      const backend = createMontyBackend(execution === 'pool' ? { execution, pool } : { execution })
      let entered!: () => void
      const inside = new Promise<void>((resolve) => {
        entered = resolve
      })
      let release!: (value: number) => void
      const run = backend.run('x = wait()\nx + 1', {
        externalFunctions: {
          wait: () => {
            entered()
            return new Promise<number>((resolve) => {
              release = resolve
            })
          },
        },
      })
      await inside
      await backend.close()
      release(41)
      await expect(run).rejects.toBeInstanceOf(ClosedError)
      await expect(backend.run('1')).rejects.toBeInstanceOf(ClosedError)
    })
  }
})
