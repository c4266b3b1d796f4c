import { montyBackend } from '@pyflue/backend-monty'
import { type PythonBackend, SandboxLimitError } from '@pyflue/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createVirtualSandbox, type VirtualSandbox } from './index.js'

/**
 * The seed promise end to end, through @pyflue/backend-monty (not raw Monty): the backend mounts
 * the sandbox's workspace from `openHostMounts()` and releases it when the run ended, so Python's
 * `/` is the workspace root and the sandbox's limits hold for what Python writes.
 */
describe('the workspace shared with @pyflue/backend-monty', () => {
  let sandbox: VirtualSandbox
  let python: PythonBackend

  const open = async (
    options: Parameters<typeof createVirtualSandbox>[0] = {},
    backend: Parameters<typeof montyBackend>[0] = {},
  ) => {
    sandbox = await createVirtualSandbox(options)
    python = await montyBackend(backend).createBackend({ sessionId: 'bridge', sandbox })
  }

  afterEach(async () => {
    await python?.close()
    await sandbox?.close()
  })

  it('Python reads what the session wrote (the seed example)', async () => {
    await open()
    await sandbox.writeFile('data.txt', 'hello')
    const run = await python.run("from pathlib import Path\nPath('/data.txt').read_text()")
    expect(run.result).toBe('hello')
  })

  it('the session and the shell read what Python wrote, made directories for, and the next run sees it', async () => {
    await open()
    await python.run(
      "from pathlib import Path\nPath('/out').mkdir()\nPath('/out/report.txt').write_text('total=6')",
    )
    expect(await sandbox.readFile('/out/report.txt')).toBe('total=6')
    expect((await sandbox.exec('cat /out/report.txt')).stdout).toBe('total=6')
    expect((await python.run("from pathlib import Path\nPath('/out/report.txt').read_text()")).result).toBe(
      'total=6',
    )
  })

  it('seeded files are visible to Python; a read-only policy makes Python writes fail', async () => {
    await open({ files: { 'data/a.csv': 'x,y\n1,2\n' }, policy: { allowWrite: false } })
    const run = await python.run("from pathlib import Path\nPath('/data/a.csv').read_text().splitlines()")
    expect(run.result).toEqual(['x,y', '1,2'])
    await expect(
      python.run("from pathlib import Path\nPath('/new.txt').write_text('x')"),
    ).rejects.toMatchObject({
      code: 'PYTHON_RUNTIME',
    })
    expect(await sandbox.exists('/new.txt')).toBe(false)
  })

  it('maxTotalBytes reaches Python: a run cannot write past what remains of the budget', async () => {
    await open({ maxTotalBytes: 1000, files: { 'seed.txt': 'x'.repeat(400) } })
    expect(sandbox.hostMounts()[0]!.writeBytesLimit).toBe(600)
    const write = (name: string, size: number) =>
      `from pathlib import Path\ntry:\n    Path('/${name}').write_text('y' * ${size})\n    r = 'ok'\nexcept OSError:\n    r = 'refused'\nr`
    expect((await python.run(write('big.txt', 800))).result).toBe('refused')
    expect(await sandbox.exists('/big.txt')).toBe(false)
    expect((await python.run(write('fits.txt', 500))).result).toBe('ok')
    expect(await sandbox.readFile('/fits.txt')).toBe('y'.repeat(500))
    // What Python wrote counts against the budget from the next change on.
    await expect(sandbox.writeFile('/more.txt', 'z'.repeat(200))).rejects.toMatchObject({
      code: 'SANDBOX_LIMIT',
    })
    expect((await sandbox.exec("printf '%0200d' 0 > /more.txt")).exitCode).not.toBe(0)
    const kept = (await sandbox.exists('/more.txt')) ? await sandbox.readFile('/more.txt') : ''
    expect(kept).toBe('')
    expect(sandbox.hostMounts()[0]!.writeBytesLimit).toBe(100)
  })

  it('budgets hold across Python runs: ten runs of 900 KB each under a 1 MiB limit leave under 1 MiB', async () => {
    const limit = 1024 * 1024
    await open({ maxTotalBytes: limit })
    const outcomes: string[] = []
    for (let run = 0; run < 10; run++) {
      const result = await python.run(
        `from pathlib import Path\ntry:\n    Path('/big-${run}.bin').write_text('y' * 900000)\n    r = 'ok'\nexcept OSError:\n    r = 'refused'\nr`,
      )
      outcomes.push(String(result.result))
    }
    expect(outcomes[0]).toBe('ok')
    expect(outcomes.slice(1)).toEqual(Array(9).fill('refused'))
    const names = await sandbox.readdir('/')
    let total = 0
    for (const name of names) total += (await sandbox.stat(name)).size ?? 0
    expect(total).toBeLessThanOrEqual(limit)
    // Nothing half-written: every file there is whole.
    expect(names).toEqual(['big-0.bin'])
    expect(sandbox.hostMounts()[0]!.writeBytesLimit).toBe(limit - 900000)
  })

  for (const road of ['pool', 'in-thread-trusted-code-only'] as const) {
    it(`maxFileCount holds for Python writes (${road}): a run that passes it rejects with SandboxLimitError, what it created is removed`, async () => {
      await open({ maxFileCount: 4, files: { 'keep.txt': 'old', 'data/a.txt': 'a' } }, { execution: road })
      const error = await python
        .run(
          "from pathlib import Path\nPath('/keep.txt').write_text('changed')\nPath('/data/b.txt').write_text('b')\nPath('/new').mkdir()\nfor i in range(5):\n    Path(f'/new/f{i}').write_text('x')\nx = 1",
        )
        .then(
          () => undefined,
          (rejected: unknown) => rejected,
        )
      expect(error).toBeInstanceOf(SandboxLimitError)
      expect(error).toMatchObject({ code: 'SANDBOX_LIMIT', limit: 'maxFileCount', value: 4 })
      expect((error as Error).message).toContain('maxFileCount')
      // Nothing half-written: every entry the run created is gone, the older ones are kept
      // (a file changed in place keeps its change), and the refused run bound no variable.
      expect(await sandbox.readdir('/')).toEqual(['data', 'keep.txt'])
      expect(await sandbox.readdir('/data')).toEqual(['a.txt'])
      expect(await sandbox.readFile('/keep.txt')).toBe('changed')
      await expect(python.run('x')).rejects.toMatchObject({ code: 'PYTHON_RUNTIME' })
      // The account holds the workspace as it is now: one more entry fits, two do not.
      await sandbox.writeFile('/one.txt', '1')
      await expect(sandbox.writeFile('/two.txt', '2')).rejects.toMatchObject({ code: 'SANDBOX_LIMIT' })
      // A run within the limit is kept whole.
      await sandbox.rm('/one.txt')
      expect(
        (await python.run("from pathlib import Path\nPath('/data/c.txt').write_text('c')\n'ok'")).result,
      ).toBe('ok')
      expect(await sandbox.readdir('/data')).toEqual(['a.txt', 'c.txt'])
    })
  }

  it('hostMounts() changes nothing; the file count a run wrote is charged when the run ends', async () => {
    await open({ maxFileCount: 5 })
    const first = sandbox.hostMounts()
    expect(sandbox.hostMounts()).toEqual(first)
    await python.run("from pathlib import Path\nfor i in range(3):\n    Path(f'/f{i}').write_text('x')")
    // Charged at the run's end, before any measuring: two more entries fit, not three.
    await sandbox.writeFile('/a', 'x')
    await sandbox.writeFile('/b', 'x')
    await expect(sandbox.writeFile('/c', 'x')).rejects.toMatchObject({ code: 'SANDBOX_LIMIT' })
  })

  it('Python writes count against maxFileCount before the next run: a full workspace is mounted read-only', async () => {
    await open({ maxFileCount: 5 })
    await python.run("from pathlib import Path\nfor i in range(5):\n    Path(f'/f{i}').write_text('x')")
    expect(sandbox.hostMounts()[0]!.mode).toBe('read-only')
    await expect(
      python.run("from pathlib import Path\nPath('/one-more').write_text('x')"),
    ).rejects.toMatchObject({ code: 'PYTHON_RUNTIME' })
    expect(await sandbox.exists('/one-more')).toBe(false)
    await expect(sandbox.writeFile('/from-host', 'x')).rejects.toMatchObject({ code: 'SANDBOX_LIMIT' })
    // Freeing room makes the mount writable again.
    await sandbox.rm('/f0')
    expect(sandbox.hostMounts()[0]!.mode).toBe('read-write')
  })

  it('Python (Monty) cannot create links, FIFOs or device nodes', async () => {
    await open({ files: { 'f.txt': 'x' } })
    for (const code of [
      "from pathlib import Path\nPath('/l').symlink_to('/f.txt')",
      "import os\nos.symlink('/f.txt', '/l')",
      "import os\nos.mkfifo('/p')",
      "import os\nos.mknod('/n')",
      "import os\nos.link('/f.txt', '/h')",
    ]) {
      await expect(python.run(code)).rejects.toMatchObject({ code: 'PYTHON_RUNTIME' })
    }
    expect(await sandbox.readdir('/')).toEqual(['f.txt'])
  })

  it('Python cannot leave the workspace through ..', async () => {
    await open()
    const run = await python.run(
      "from pathlib import Path\ntry:\n    r = Path('/../../../../etc/passwd').read_text()[:10]\nexcept Exception as e:\n    r = type(e).__name__\nr",
    )
    expect(run.result).not.toContain('root:')
  })
})
