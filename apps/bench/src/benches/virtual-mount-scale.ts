import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Monty, MountDir } from '@pydantic/monty'
import type { Sandbox } from '@pyflue/core'
import { createVirtualSandbox } from '@pyflue/sandbox-virtual'
import type { Bench, BenchRow } from '../bench-types.js'
import { formatMs, median, sample } from '../stats.js'

/**
 * Does a Python run over the virtual sandbox's workspace cost more when the workspace holds
 * many files? The workspace is mounted (backend-monty's way: one `MountDir` per mount of the lease
 * `openHostMounts()` gives each run, released when the run ended), never copied, so the answer
 * should be no when no limit is set; with limits, the lease's walks are the price.
 */
const FILES = 10_000
const SAMPLES = 3_000
const PYTHON = [
  'from pathlib import Path',
  "text = Path('/data.txt').read_text()",
  "Path('/out.txt').write_text(text.upper())",
  'len(text)',
].join('\n')

/** Without limits (`Infinity`): nothing is measured, so the figure is the mount's own cost. */
const NO_LIMITS = { maxTotalBytes: Number.POSITIVE_INFINITY, maxFileCount: Number.POSITIVE_INFINITY }

async function sandboxWith(files: number, limits: object = NO_LIMITS): Promise<Sandbox> {
  const sandbox = await createVirtualSandbox({ files: { 'data.txt': 'hello from the workspace' }, ...limits })
  const root = sandbox.hostMounts!()[0]!.hostDir
  for (let i = 0; i < files; i++) {
    const dir = join(root, 'many', `d${i % 100}`)
    if (i < 100) await mkdir(dir, { recursive: true })
    await writeFile(join(dir, `f${i}.txt`), `file ${i}\n`)
  }
  return sandbox
}

/** One run with the mount lifecycle backend-monty follows: open the lease, run, release it. */
function pythonRun(sandbox: Sandbox, monty: Monty): () => Promise<void> {
  return async () => {
    const lease = await sandbox.openHostMounts!()
    try {
      const mount = lease.mounts.map((m) => new MountDir(m.sandboxPath, m.hostDir, { mode: m.mode }))
      monty.run({ mount })
    } finally {
      await lease.release()
    }
  }
}

/**
 * Alternates the two cases in short rounds so drift on a shared machine hits both alike; the
 * ratio is the median of the per-round ratios, the values the medians of all samples.
 */
async function interleaved(a: () => unknown, b: () => unknown, samples: number, rounds = 20) {
  const timesA: number[] = []
  const timesB: number[] = []
  const ratios: number[] = []
  for (let round = 0; round < rounds; round++) {
    const roundA = await sample(a, Math.ceil(samples / rounds))
    const roundB = await sample(b, Math.ceil(samples / rounds))
    timesA.push(...roundA)
    timesB.push(...roundB)
    ratios.push(median(roundB) / median(roundA))
  }
  return { a: median(timesA), b: median(timesB), ratio: median(ratios) }
}

const bench: Bench = {
  name: 'virtual-mount-scale',
  async run(): Promise<readonly BenchRow[]> {
    const empty = await sandboxWith(0)
    const full = await sandboxWith(FILES)
    const fullDefaults = await sandboxWith(FILES, {})
    try {
      const monty = new Monty(PYTHON)
      const python = await interleaved(pythonRun(empty, monty), pythonRun(full, monty), SAMPLES)
      const defaults = await interleaved(pythonRun(full, monty), pythonRun(fullDefaults, monty), SAMPLES / 10)
      // After a Python run the default limits measure the workspace before every checked change.
      const writes = await interleaved(
        () => full.writeFile('/w.txt', 'x'),
        () => fullDefaults.writeFile('/w.txt', 'x'),
        60,
        6,
      )
      const shell = await interleaved(
        () => empty.exec('cat /data.txt > /copy.txt'),
        () => full.exec('cat /data.txt > /copy.txt'),
        600,
      )
      return [
        {
          name: `Python run (read + write) over ${FILES} files`,
          value: formatMs(python.b),
          baseline: `same run over 0 files: ${formatMs(python.a)}`,
          ratio: python.ratio,
          note: 'target <= 1.2× (the workspace is mounted, not copied)',
        },
        {
          name: `Python run over ${FILES} files, default limits`,
          value: formatMs(defaults.b),
          baseline: `same without limits: ${formatMs(defaults.a)}`,
          ratio: defaults.ratio,
          note: 'openHostMounts() lists the names, release() measures (async)',
        },
        {
          name: `writeFile over ${FILES} files after a Python run, default limits`,
          value: formatMs(writes.b),
          baseline: `same without limits: ${formatMs(writes.a)}`,
          ratio: writes.ratio,
          note: 'only the first checked change after a run measures again',
        },
        {
          name: `shell exec (cat > file) over ${FILES} files`,
          value: formatMs(shell.b),
          baseline: `same command over 0 files: ${formatMs(shell.a)}`,
          ratio: shell.ratio,
          note: 'no per-command scan of the workspace',
        },
      ]
    } finally {
      await empty.close?.()
      await full.close?.()
      await fullDefaults.close?.()
    }
  },
}

export default bench
