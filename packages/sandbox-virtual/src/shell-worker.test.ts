/**
 * The shell runs off the calling thread (issue 16): a command that never yields does not stall
 * the host's event loop, `timeoutMs` and `signal` stop it by terminating its worker, the sandbox
 * stays usable, output is cut at `maxOutputSize`, memory is capped, and several sandboxes' commands
 * run at once, up to the pool size. No assertion here is about time: the host's liveness is shown
 * by timers and file verbs that complete while a command that can only be stopped is running.
 */
import { execFile } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import type { Sandbox } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { SHELL_POOL_SIZE } from './shell-pool.js'
import { closingSandboxes } from './test-sandboxes.js'

const { make } = closingSandboxes()

/** Starts `command`, which must not end on its own; returns its promise and whether it settled. */
function start(
  sandbox: Sandbox,
  command: string,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
) {
  const state = { settled: false }
  const promise = sandbox.exec(command, options).finally(() => {
    state.settled = true
  })
  promise.catch(() => {})
  return { promise, state }
}

/** Waits (by iterations of a short sleep, not by a clock) until `check` holds. */
async function until(check: () => Promise<boolean> | boolean, iterations = 3000): Promise<void> {
  for (let i = 0; i < iterations; i++) {
    if (await check()) return
    await sleep(10)
  }
  throw new Error('condition never held')
}

describe('a command that never yields', () => {
  const loops: Array<[string, string]> = [
    ['a busy shell loop', 'while true; do :; done'],
    [
      'a sed branch loop over a 200 KB line',
      "printf '%0200000d' 0 > line.txt; sed ':a; s/0/1/; ta' line.txt",
    ],
    ['a catastrophic regex over 1 MB', "grep -E '(a?){300}a{300}' big.txt"],
  ]

  for (const [name, command] of loops) {
    it(`${name} leaves the host's timers and file verbs running, and the signal stops it`, async () => {
      const sandbox = await make()
      // Lines of 299 `a`s (about 1 MB): `a{300}` never matches, so the regex backtracks without end.
      await sandbox.writeFile('big.txt', `${'a'.repeat(299)}\n`.repeat(3500))
      const controller = new AbortController()
      const run = start(sandbox, command, { signal: controller.signal })
      // While it runs, the main thread does work that needs its event loop.
      let ticks = 0
      const ticker = setInterval(() => ticks++, 1)
      await until(() => ticks >= 20)
      await sandbox.writeFile('during.txt', 'written while the command ran')
      expect(await sandbox.readFile('during.txt')).toBe('written while the command ran')
      clearInterval(ticker)
      expect(run.state.settled).toBe(false)
      controller.abort(new Error('enough'))
      const error = await run.promise.then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(DOMException)
      expect((error as DOMException).name).toBe('AbortError')
      expect((error as DOMException).cause).toEqual(new Error('enough'))
      // The worker was terminated and replaced: the sandbox still runs commands.
      expect(await sandbox.exec('echo again; cat during.txt')).toEqual({
        stdout: 'again\nwritten while the command ran',
        stderr: '',
        exitCode: 0,
      })
    })

    it(`${name} is stopped by timeoutMs with exit code 124`, async () => {
      const sandbox = await make()
      // The lines the regex never matches (one line of 1 MB `a`s matches, after about 300 ms).
      await sandbox.writeFile('big.txt', `${'a'.repeat(299)}\n`.repeat(3500))
      const result = await sandbox.exec(command, { timeoutMs: 200 })
      expect(result.exitCode).toBe(124)
      expect(result.stderr).toContain('timed out after 200 ms (timeoutMs)')
      expect((await sandbox.exec('echo ok')).stdout).toBe('ok\n')
    })
  }

  it('close() stops it: the command rejects with ClosedError', async () => {
    const sandbox = await make()
    const run = start(sandbox, 'while true; do :; done')
    await sleep(20)
    await sandbox.close?.()
    await expect(run.promise).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('timeoutMs 0 and Infinity mean no deadline; a negative one is refused', async () => {
    const sandbox = await make()
    for (const timeoutMs of [0, Number.POSITIVE_INFINITY]) {
      expect(await sandbox.exec('echo $((1 + 1))', { timeoutMs })).toEqual({
        stdout: '2\n',
        stderr: '',
        exitCode: 0,
      })
    }
    const controller = new AbortController()
    const run = start(sandbox, 'while true; do :; done', { timeoutMs: 0, signal: controller.signal })
    await sleep(100)
    expect(run.state.settled).toBe(false)
    controller.abort()
    await expect(run.promise).rejects.toMatchObject({ name: 'AbortError' })
    await expect(sandbox.exec('echo', { timeoutMs: -1 })).rejects.toMatchObject({ argument: 'timeoutMs' })
  })
})

describe('several sandboxes', () => {
  it(`run their commands at once, up to the pool size (${SHELL_POOL_SIZE})`, async () => {
    const sandboxes = await Promise.all(Array.from({ length: 8 }, () => make()))
    const controller = new AbortController()
    const runs = sandboxes.map((sandbox) =>
      start(sandbox, 'echo started > started.txt; while true; do :; done', { signal: controller.signal }),
    )
    const started = async () =>
      (await Promise.all(sandboxes.map((s) => s.exists('started.txt')))).filter(Boolean).length
    // Every loop runs forever, so only loops running side by side can all have started.
    await until(async () => (await started()) >= Math.min(8, SHELL_POOL_SIZE))
    expect(await started()).toBe(Math.min(8, SHELL_POOL_SIZE))
    controller.abort()
    for (const run of runs) await expect(run.promise).rejects.toMatchObject({ name: 'AbortError' })
    for (const sandbox of sandboxes) expect((await sandbox.exec('echo ok')).stdout).toBe('ok\n')
  })
})

describe('output and memory', () => {
  it('output past maxOutputSize is cut in the worker: the command stops with exit 126', async () => {
    const sandbox = await make({ maxOutputSize: 1000 })
    const result = await sandbox.exec('seq 1 100000')
    expect(result.exitCode).toBe(126)
    expect(result.stdout.length).toBeLessThanOrEqual(1000)
    expect(result.stderr).toContain('output size limit exceeded (1000 bytes)')
    expect(await sandbox.exec('seq 1 3')).toEqual({ stdout: '1\n2\n3\n', stderr: '', exitCode: 0 })
  })

  // Seconds of CPU on an idle machine: the timeout leaves room for a loaded one.
  it('grep reads a file of more than a million lines (the deadline bounds it, not a line count)', async () => {
    const sandbox = await make()
    const lines = 1_500_000
    await sandbox.writeFile('log.txt', 'ok\nhit\n'.repeat(lines / 2))
    expect(await sandbox.exec('grep -c hit log.txt')).toEqual({
      stdout: `${lines / 2}\n`,
      stderr: '',
      exitCode: 0,
    })
    expect(await sandbox.exec('wc -l < log.txt')).toMatchObject({ stdout: `${lines}\n`, exitCode: 0 })
    // Loops stay bounded by just-bash's command count.
    const loop = await sandbox.exec('while true; do :; done')
    expect(loop.exitCode).toBe(126)
    expect(loop.stderr).toContain('maxCommandCount')
  }, 240_000)

  const bomb = async (name: string) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', new URL('./testing/shell-bombs-child.ts', import.meta.url).pathname, name],
      { cwd: new URL('..', import.meta.url).pathname, timeout: 240_000 },
    )
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      exitCode: number
      stderr: string
      after: string
      ticks: number
      outBytes: number
    }
  }

  it('a command past shellMemoryMb ends with exit 137; the host timer kept firing', async () => {
    const report = await bomb('memory')
    expect(report.exitCode).toBe(137)
    expect(report.stderr).toContain("the shell's 64 MiB (shellMemoryMb)")
    expect(report.after).toContain('still-usable')
    expect(report.ticks).toBeGreaterThan(0)
  })

  it('zcat of a bomb into a file is stopped by a limit, not by the host running out of memory', async () => {
    const report = await bomb('zcat')
    expect(report.exitCode).not.toBe(0)
    expect(report.stderr).toMatch(/maxTotalBytes|exceeds limit/)
    expect(report.after).toContain('still-usable')
    // The redirection made the file (as bash does); the decompressed bytes never reached it whole.
    expect(report.outBytes).toBeGreaterThanOrEqual(0)
    expect(report.outBytes).toBeLessThanOrEqual(16 * 1024 * 1024)
  })
})
