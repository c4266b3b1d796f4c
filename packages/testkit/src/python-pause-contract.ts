/**
 * `describePythonPauseContract`: one vitest test per guarantee of pausing (`PythonBackend.start`
 * / `resume`, core's `python-pause.ts`), for a backend that offers it. Registered separately from
 * `describePythonBackendContract` because pausing is optional.
 */
import type { PythonBackend, PythonPause, PythonStartResult } from '@pyflue/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkSuiteOptions } from './check-options.js'
import { expectPyFlueError } from './expect-errors.js'

/** Options of `describePythonPauseContract`. */
export interface PythonPauseContractOptions {
  /** Per-test timeout in milliseconds. Default 30 000. */
  timeoutMs?: number
}

const SNIPPET = `seen = []
for n in [1, 2]:
    seen.append(ask(n))
print("asked", len(seen))
seen`
const ask = (n: number) => n * 10

function paused(outcome: PythonStartResult): PythonPause {
  expect(outcome.status).toBe('paused')
  return outcome as PythonPause
}

/**
 * Registers the pause contract's tests. `makeBackend` is called for a fresh, empty session before
 * each test (and again for tests that resume in another backend of the same session state).
 */
export function describePythonPauseContract(
  name: string,
  makeBackend: () => PythonBackend | Promise<PythonBackend>,
  options: PythonPauseContractOptions = {},
): void {
  checkSuiteOptions(options, ['timeoutMs'], 'describePythonPauseContract options')

  describe(`PythonBackend pause contract: ${name}`, () => {
    let backend: PythonBackend
    const others: PythonBackend[] = []
    beforeEach(async () => {
      backend = await makeBackend()
    }, options.timeoutMs)
    afterEach(async () => {
      await backend.close()
      for (const other of others.splice(0)) await other.close()
    }, options.timeoutMs)
    const test = (title: string, fn: () => Promise<void>) => it(title, fn, options.timeoutMs)
    const start = () => backend.start!(SNIPPET, { externalFunctions: { ask } })
    const resume = (target: PythonBackend, pause: PythonPause | Uint8Array, value: unknown) =>
      target.resume!(pause, { returnValue: value }, { externalFunctions: { ask } })

    test('offers start and resume', async () => {
      expect(typeof backend.start).toBe('function')
      expect(typeof backend.resume).toBe('function')
    })

    test('pauses at the external call with its arguments as data, committing nothing', async () => {
      await backend.run('kept = 1')
      const before = await backend.dumpState()
      const pause = paused(await start())
      expect(pause.call).toEqual({ name: 'ask', args: [1], kwargs: {} })
      expect(pause.backend).toBe(backend.name)
      expect(typeof pause.id).toBe('string')
      expect(typeof pause.stateVersion).toBe('string')
      expect(pause.dump()).toBeInstanceOf(Uint8Array)
      expect(Buffer.from(await backend.dumpState()).equals(Buffer.from(before))).toBe(true)
    })

    test('resumes pause by pause to the end, then the namespace has the run', async () => {
      const first = paused(await start())
      const second = paused(await resume(backend, first.dump(), 10))
      expect(second.call.args).toEqual([2])
      const done = await resume(backend, second, 20)
      expect(done.status).toBe('complete')
      if (done.status !== 'complete') return
      expect(done.result).toEqual([10, 20])
      expect(done.stdout).toBe('asked 2\n')
      expect((await backend.run('seen')).result).toEqual([10, 20])
    })

    test('an exception answer raises in Python, where the snippet may catch it', async () => {
      const code = 'try:\n    r = ask(1)\nexcept PermissionError as e:\n    r = "denied: " + str(e)\nr'
      const pause = paused(await backend.start!(code, { externalFunctions: { ask } }))
      const done = await backend.resume!(
        pause,
        { exception: { type: 'PermissionError', message: 'no' } },
        {
          externalFunctions: { ask },
        },
      )
      expect(done.status === 'complete' && done.result).toBe('denied: no')
    })

    test('resumes in another backend that loaded the same session state', async () => {
      await backend.run('base = 5')
      const pause = paused(await backend.start!('base + ask(1)', { externalFunctions: { ask } }))
      const other = await makeBackend()
      others.push(other)
      await other.loadState(await backend.dumpState())
      const done = await resume(other, pause.dump(), 10)
      expect(done.status === 'complete' && done.result).toBe(15)
    })

    test('refuses a pause resumed a second time, or after another run finished (PauseStaleError)', async () => {
      const pause = paused(await backend.start!('r = ask(1)', { externalFunctions: { ask } }))
      const bytes = pause.dump()
      expect((await resume(backend, bytes, 1)).status).toBe('complete')
      await expectPyFlueError(resume(backend, bytes, 1), 'PAUSE_STALE')
      const later = paused(await backend.start!('ask(2)', { externalFunctions: { ask } }))
      await backend.run('x = 1')
      await expectPyFlueError(resume(backend, later, 2), 'PAUSE_STALE')
    })

    test('refuses foreign, truncated and damaged bytes (PauseFormatError), the session unchanged', async () => {
      const bytes = paused(await start()).dump()
      const before = await backend.dumpState()
      const damaged = bytes.slice()
      damaged[damaged.length - 5] = damaged[damaged.length - 5]! ^ 0xff
      for (const candidate of [
        new Uint8Array([1, 2, 3]),
        bytes.slice(0, bytes.length - 1),
        damaged,
        before,
      ]) {
        await expectPyFlueError(resume(backend, candidate, 1), 'PAUSE_FORMAT')
        expect(Buffer.from(await backend.dumpState()).equals(Buffer.from(before))).toBe(true)
      }
    })
  })
}
