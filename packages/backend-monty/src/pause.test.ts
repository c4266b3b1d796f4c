/**
 * Pausing a run at an external call and resuming it (`start` / `resume`), in both execution
 * modes: the namespace is untouched until the run finishes, a pause resumes in another backend
 * and another process, denials raise in Python, and bad, stale or foreign pauses are refused
 * with the session unchanged.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  decodePauseEnvelope,
  encodePauseEnvelope,
  InvalidArgumentError,
  PauseFormatError,
  PauseStaleError,
  type PythonPause,
  PythonRuntimeError,
  type PythonStartResult,
} from '@pyflue/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createMontyBackend, type MontyBackend } from './monty-backend.js'
import { IN_THREAD } from './monty-backend-options.js'
import { decodeState } from './state-decode.js'
import { encodeState } from './state-encode.js'

const REFUNDS = `orders = [("A1", 30), ("B2", 45), ("C3", 12)]
total = 0
denied = []
print("refunding", len(orders), "orders")
for order, amount in orders:
    try:
        total += refund(order, amount)
    except PermissionError as error:
        denied.append([order, str(error)])
f"refunded {total}, denied {len(denied)}"`

const externals = {
  refund: (_order: string, amount: number) => amount,
  lookup: (order: string) => order.length,
}

/** A payload as an engine before program layouts were recorded would have written it. */
function withoutLayout(payload: Uint8Array): Uint8Array {
  const { layout: _layout, ...rest } = decodeState(payload) as Record<string, unknown>
  return encodeState(rest)
}

function paused(outcome: PythonStartResult): PythonPause {
  expect(outcome.status).toBe('paused')
  return outcome as PythonPause
}

const backends: MontyBackend[] = []
afterAll(async () => {
  for (const backend of backends) await backend.close()
})

for (const mode of ['pool', IN_THREAD] as const) {
  const make = () => {
    const backend = createMontyBackend(mode === IN_THREAD ? { execution: IN_THREAD } : {})
    backends.push(backend)
    return backend
  }

  describe(`start / resume (${mode})`, () => {
    it('pauses at the selected call with its arguments, the code around it and the output so far', async () => {
      const backend = make()
      await backend.run('limit = 100')
      const pause = paused(
        await backend.start(REFUNDS, { externalFunctions: externals, pauseOn: ['refund'] }),
      )
      expect(pause.call).toEqual({ name: 'refund', args: ['A1', 30], kwargs: {} })
      expect(pause.functionName).toBe('refund')
      expect(pause.line).toBe(7)
      expect(pause.codeAround).toContain('>')
      expect(pause.codeAround).toContain('total += refund(order, amount)')
      expect(pause.stdout).toBe('refunding 3 orders\n')
      expect(pause.backend).toBe('monty')
      expect(pause.engineVersion).toBe(backend.engineVersion)
      // Nothing committed: the names the snippet binds before the pause do not exist yet.
      const names = (await backend.listVariables()).map((v) => v.name)
      expect(names).toEqual(['limit'])
    })

    it('resumes pause by pause, a denial raising PermissionError the snippet catches, then commits', async () => {
      const backend = make()
      let outcome = await backend.start(REFUNDS, { externalFunctions: externals, pauseOn: ['refund'] })
      const seen: unknown[] = []
      const answers = [
        { returnValue: 30 },
        { exception: { type: 'PermissionError', message: 'denied by Ann' } },
        { returnValue: 12 },
      ]
      for (const answer of answers) {
        const pause = paused(outcome)
        seen.push(pause.call.args[0])
        // Through bytes, as a store would keep it.
        outcome = await backend.resume(pause.dump(), answer, {
          externalFunctions: externals,
          pauseOn: ['refund'],
        })
      }
      expect(seen).toEqual(['A1', 'B2', 'C3'])
      expect(outcome.status).toBe('complete')
      if (outcome.status !== 'complete') return
      expect(outcome.result).toBe('refunded 42, denied 1')
      expect(outcome.stdout).toBe('refunding 3 orders\n')
      expect((await backend.run('[total, denied]')).result).toEqual([42, [['B2', 'denied by Ann']]])
    })

    it('answers calls pauseOn does not select, as run does', async () => {
      const backend = make()
      const code = 'n = lookup("abc")\nr = refund("X", n)\n[n, r]'
      const pause = paused(
        await backend.start(code, {
          externalFunctions: externals,
          pauseOn: (call) => call.name === 'refund',
        }),
      )
      expect(pause.call).toEqual({ name: 'refund', args: ['X', 3], kwargs: {} })
      const done = await backend.resume(pause, { returnValue: 7 }, { externalFunctions: externals })
      expect(done.status === 'complete' && done.result).toEqual([3, 7])
    })

    it('finishes without pausing when nothing selected is called', async () => {
      const backend = make()
      const done = await backend.start('x = 2\nx * 3', { externalFunctions: externals })
      expect(done).toMatchObject({ status: 'complete', result: 6 })
      expect((await backend.run('x')).result).toBe(2)
    })

    it('leaves no trace of an abandoned pause or of an uncaught denial', async () => {
      const backend = make()
      await backend.run('total = 5')
      const before = await backend.dumpState()
      const abandoned = paused(await backend.start(REFUNDS, { externalFunctions: externals }))
      expect(Buffer.from(await backend.dumpState()).equals(Buffer.from(before))).toBe(true)
      const pause = paused(
        await backend.start('x = 1\nrefund("A", 1)\ny = 2', { externalFunctions: externals }),
      )
      await expect(
        backend.resume(
          pause,
          { exception: { type: 'PermissionError', message: 'no' } },
          { externalFunctions: externals },
        ),
      ).rejects.toBeInstanceOf(PythonRuntimeError)
      expect(Buffer.from(await backend.dumpState()).equals(Buffer.from(before))).toBe(true)
      // The abandoned pause still resumes: the namespace has not moved.
      const resumed = await backend.resume(abandoned, { returnValue: 1 }, { externalFunctions: externals })
      expect(resumed.status).toBe('paused')
    })

    it('refuses a pause once the namespace moved on, or resumed a second time', async () => {
      const backend = make()
      const pause = paused(await backend.start('r = refund("A", 1)\nr', { externalFunctions: externals }))
      const bytes = pause.dump()
      const done = await backend.resume(bytes, { returnValue: 9 }, { externalFunctions: externals })
      expect(done.status === 'complete' && done.result).toBe(9)
      const again = backend.resume(bytes, { returnValue: 9 }, { externalFunctions: externals })
      await expect(again).rejects.toBeInstanceOf(PauseStaleError)
      await expect(again).rejects.toMatchObject({ reason: 'state-moved' })
      // A run that binds nothing also moves it on.
      const quiet = paused(await backend.start('refund("B", 2)', { externalFunctions: externals }))
      await backend.run('1 + 1')
      await expect(
        backend.resume(quiet, { returnValue: 2 }, { externalFunctions: externals }),
      ).rejects.toMatchObject({
        reason: 'state-moved',
      })
      expect((await backend.run('r')).result).toBe(9)
    })

    it('counts running time against the deadline, not the time spent paused', async () => {
      const backend = make()
      const pause = paused(
        await backend.start('r = refund("A", 1)\nr + 1', {
          externalFunctions: externals,
          resourceLimits: { maxDurationSecs: 0.5 },
        }),
      )
      await new Promise((resolve) => setTimeout(resolve, 800))
      const done = await backend.resume(pause, { returnValue: 1 }, { externalFunctions: externals })
      expect(done.status === 'complete' && done.result).toBe(2)
    })

    it('resumes in another backend holding the same session state', async () => {
      const first = make()
      await first.run('base = 100')
      const pause = paused(
        await first.start('r = refund("A", base)\nr * 2', { externalFunctions: externals }),
      )
      const second = make()
      await second.loadState(await first.dumpState())
      const done = await second.resume(pause.dump(), { returnValue: 21 }, { externalFunctions: externals })
      expect(done.status === 'complete' && done.result).toBe(42)
      expect((await second.run('[base, r]')).result).toEqual([100, 21])
    })

    it('resumes a run whose inputs the pause does not keep; an error after the resume names its line', async () => {
      const first = make()
      const start = (code: string) =>
        first.start(code, { inputs: { xs: [1.5, 2] }, externalFunctions: externals })
      // The resume plans the program again without the inputs' values: it must be the same one.
      const pause = paused(await start('ys = xs\nr = refund("A", 1)\nn = r + 1'))
      const second = make()
      await second.loadState(await first.dumpState())
      const done = await second.resume(pause.dump(), { returnValue: 5 }, { externalFunctions: externals })
      expect(done.status).toBe('complete')
      expect((await second.run('(repr(ys), n)')).result).toEqual(
        Object.assign(['[1.5, 2]', 6], { __tuple__: true }),
      )
      // An error after the resume names the snippet's own line.
      const failing = paused(await start('ys = xs\nr = refund("A", 1)\nz = 1 / 0'))
      const third = make()
      await third.loadState(await first.dumpState())
      const error = await third
        .resume(failing.dump(), { returnValue: 5 }, { externalFunctions: externals })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(PythonRuntimeError)
      expect(error).toMatchObject({
        excType: 'ZeroDivisionError',
        traceback: [expect.objectContaining({ line: 3, source: 'z = 1 / 0' })],
      })
    })
  })
}

describe('start / resume across processes', () => {
  it('pauses here and resumes pause by pause in new Node processes holding the stored state', async () => {
    const backend = createMontyBackend()
    backends.push(backend)
    const child = (state: Uint8Array, pause: string, answer: unknown) => {
      const run = spawnSync(
        process.execPath,
        [fileURLToPath(new URL('../test/resume-pause-child.mjs', import.meta.url))],
        {
          input: JSON.stringify({ state: Buffer.from(state).toString('base64'), pause, answer }),
          encoding: 'utf8',
        },
      )
      expect(run.stderr).toBe('')
      return JSON.parse(run.stdout)
    }
    const first = paused(await backend.start(REFUNDS, { externalFunctions: externals, pauseOn: ['refund'] }))
    // The session state as a store holds it: the paused run has committed nothing.
    const state = await backend.dumpState()
    const second = child(state, Buffer.from(first.dump()).toString('base64'), { returnValue: 30 })
    expect(second).toMatchObject({ status: 'paused', call: { name: 'refund', args: ['B2', 45], kwargs: {} } })
    const third = child(state, second.pause, {
      exception: { type: 'PermissionError', message: 'denied by Ann' },
    })
    expect(third).toMatchObject({ status: 'paused', call: { name: 'refund', args: ['C3', 12], kwargs: {} } })
    const done = child(state, third.pause, { returnValue: 12 })
    expect(done).toEqual({
      status: 'complete',
      result: 'refunded 42, denied 1',
      stdout: 'refunding 3 orders\n',
      after: [42, [['B2', 'denied by Ann']]],
    })
  })
})

describe('files after a resume', () => {
  it('reads mounted files before the pause; after a resume Monty 0.0.18 refuses file access', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pyflue-pause-'))
    await writeFile(join(dir, 'orders.txt'), 'A1\nB2')
    const backend = createMontyBackend({
      mounts: [{ sandboxPath: '/data', hostDir: dir, mode: 'read-only' }],
    })
    backends.push(backend)
    const code = `from pathlib import Path
first = Path('/data/orders.txt').read_text().split()
r = refund(first[0], 1)
try:
    again = Path('/data/orders.txt').read_text()
except PermissionError:
    again = None
[first, r, again]`
    const pause = paused(await backend.start(code, { externalFunctions: externals }))
    expect(pause.call.args).toEqual(['A1', 1])
    const done = await backend.resume(pause, { returnValue: 1 }, { externalFunctions: externals })
    expect(done.status === 'complete' && done.result).toEqual([['A1', 'B2'], 1, null])
    await rm(dir, { recursive: true, force: true })
  })
})

describe('refused pauses', () => {
  const make = () => {
    const backend = createMontyBackend()
    backends.push(backend)
    return backend
  }

  it('refuses corrupt, truncated, foreign, other-backend, other-engine and expired pauses, the session unchanged', async () => {
    const backend = make()
    await backend.run('kept = [1, 2]')
    const before = await backend.dumpState()
    const pause = paused(
      await backend.start('refund("A", 1)', { externalFunctions: externals, pauseExpiresInMs: 60_000 }),
    )
    const bytes = pause.dump()
    const { header, payload } = decodePauseEnvelope(bytes)
    const damaged = bytes.slice()
    damaged[bytes.length - 10] = damaged[bytes.length - 10]! ^ 0xff
    const cases: [Uint8Array, unknown, string][] = [
      [damaged, PauseFormatError, 'corrupt'],
      [bytes.slice(0, bytes.length - 3), PauseFormatError, 'truncated'],
      [before, PauseFormatError, 'magic'],
      [encodePauseEnvelope({ ...header, backend: 'other' }, payload), PauseFormatError, 'backend'],
      [
        encodePauseEnvelope({ ...header, engineVersion: '@pydantic/monty 0.0.1' }, payload),
        PauseFormatError,
        'engine',
      ],
      [encodePauseEnvelope({ ...header, expiresAt: Date.now() - 1 }, payload), PauseStaleError, 'expired'],
      [encodePauseEnvelope(header, new Uint8Array([1, 2, 3])), PauseFormatError, 'corrupt'],
      [encodePauseEnvelope(header, withoutLayout(payload)), PauseFormatError, 'engine'],
    ]
    for (const [candidate, type, reason] of cases) {
      const resumed = backend.resume(candidate, { returnValue: 1 }, { externalFunctions: externals })
      await expect(resumed).rejects.toBeInstanceOf(type)
      await expect(resumed).rejects.toMatchObject({ reason })
      expect(Buffer.from(await backend.dumpState()).equals(Buffer.from(before))).toBe(true)
    }
    // The real pause still resumes after all that.
    const done = await backend.resume(bytes, { returnValue: 1 }, { externalFunctions: externals })
    expect(done.status).toBe('complete')
  })

  it('refuses a malformed answer, missing external functions and unknown options with typed errors', async () => {
    const backend = make()
    const pause = paused(await backend.start('refund("A", 1)', { externalFunctions: externals }))
    const bad = [
      () =>
        backend.resume(
          pause,
          { exception: { type: 'not a name', message: 'x' } },
          { externalFunctions: externals },
        ),
      () => backend.resume(pause, {} as never, { externalFunctions: externals }),
      () => backend.resume(pause, { returnValue: 1 }, { externalFunctions: { lookup: externals.lookup } }),
      () => backend.resume(pause, { returnValue: 1 }, { inputs: {} } as never),
      () => backend.start('1', { pauseOn: 'refund' } as never),
      () => backend.start('1', { pauseExpiresInMs: -1 }),
    ]
    for (const call of bad) await expect(call()).rejects.toBeInstanceOf(InvalidArgumentError)
    const done = await backend.resume(pause, { returnValue: 1 }, { externalFunctions: externals })
    expect(done.status).toBe('complete')
  })
})
