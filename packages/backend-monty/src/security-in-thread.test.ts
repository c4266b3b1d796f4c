/**
 * Security of the execution modes: the calling-thread mode is an explicit opt-in named for
 * trusted code, and `close()` ends a run in progress with `ClosedError` in both modes.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ClosedError, InvalidArgumentError, ResourceLimitError } from '@pyflue/core'
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

describe('result validation runs under the run deadline and signal', () => {
  /** A Standard Schema whose validate() never settles; `called` resolves when it is entered. */
  function neverSettling() {
    let entered!: () => void
    const state = { entered: false }
    const called = new Promise<void>((resolve) => {
      entered = () => {
        state.entered = true
        resolve()
      }
    })
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: () => {
          entered()
          return new Promise<never>(() => {})
        },
      },
    }
    return { schema, called, state }
  }
  for (const execution of ['pool', 'in-thread-trusted-code-only'] as const) {
    it(`${execution}: a validate() that never settles ends at the deadline, or on abort`, async () => {
      const backend = createMontyBackend(execution === 'pool' ? { execution, pool } : { execution })
      await backend.run('0') // a warm process: the run reaches validation well inside its deadline
      const first = neverSettling()
      await expect(
        backend.run('1', { result: first.schema, resourceLimits: { maxDurationSecs: 2 } }),
      ).rejects.toMatchObject({ code: 'RESOURCE_LIMIT', limit: 'maxDurationSecs' })
      expect(first.state.entered).toBe(true)
      const second = neverSettling()
      const controller = new AbortController()
      const running = backend.run('2', { result: second.schema, signal: controller.signal })
      await second.called
      controller.abort()
      await expect(running).rejects.toMatchObject({ name: 'AbortError' })
      // The session is not wedged: the next run executes.
      expect((await backend.run('3')).result).toBe(3)
      await backend.close()
    })
  }
})

describe('in-thread still honours what it can', () => {
  const execution = 'in-thread-trusted-code-only' as const

  it('maxDurationSecs stops a Python loop (between operations)', async () => {
    const backend = createMontyBackend({ execution })
    await expect(
      backend.run('while True:\n    pass', { resourceLimits: { maxDurationSecs: 0.2 } }),
    ).rejects.toMatchObject({ code: 'RESOURCE_LIMIT', limit: 'maxDurationSecs' })
    await backend.close()
  })

  it('maxDurationSecs ends a run waiting on an external function that never settles', async () => {
    const backend = createMontyBackend({ execution })
    await expect(
      backend.run('never()', {
        resourceLimits: { maxDurationSecs: 0.2 },
        externalFunctions: { never: () => new Promise(() => {}) },
      }),
    ).rejects.toBeInstanceOf(ResourceLimitError)
    expect((await backend.run('1 + 1')).result).toBe(2)
    await backend.close()
  })

  it('does not protect against native crashes: json.dumps of a 100 000-deep list ends the host process', async () => {
    // What the README says in-thread execution is not for, shown in a child process.
    const script = `
      import { createMontyBackend } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)}
      const backend = createMontyBackend({ execution: 'in-thread-trusted-code-only' })
      await backend.run('import json\\nx = []\\nfor i in range(100000):\\n    x = [x]\\nlen(json.dumps(x))')
      process.stdout.write('survived')
    `
    const outcome = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]).then(
      ({ stdout }) => ({ stdout, signal: null as string | null }),
      (error: { stdout: string; signal: string | null }) => error,
    )
    expect(outcome.stdout).not.toContain('survived')
    expect(outcome.signal).toBe('SIGSEGV')
  })
})
