/**
 * Shell bombs, run in a child process by `shell-worker.test.ts` (a crash or a runaway fails that
 * test instead of the runner). Prints one JSON line: each bomb's exit code and stderr head, what a
 * follow-up command printed, and how many times a main-thread timer fired while the bomb ran.
 * Usage: node --import tsx shell-bombs-child.ts <bomb>
 */
import { gzipSync } from 'node:zlib'
import { createVirtualSandbox } from '../index.js'

const [bomb] = process.argv.slice(2) as [string]
const sandbox = await createVirtualSandbox({ shellMemoryMb: 64, maxTotalBytes: 16 * 1024 * 1024 })
let ticks = 0
const ticker = setInterval(() => ticks++, 1)
let command: string
if (bomb === 'memory') {
  // Each element is a new 5 MB string: the 64 MiB heap runs out after a few.
  command = `x=$(printf '%05000000d' 0); for i in $(seq 1 100); do a[$i]="$x$i"; done; echo survived`
} else if (bomb === 'zcat') {
  // 200 MiB of zeros in a few hundred KB: decompressed to a file it passes maxTotalBytes (16 MiB).
  await sandbox.writeFile('bomb.gz', gzipSync(Buffer.alloc(200 * 1024 * 1024)))
  command = 'zcat bomb.gz > out.bin'
} else throw new Error(`unknown bomb ${bomb}`)
const result = await sandbox.exec(command)
clearInterval(ticker)
const after = await sandbox.exec('echo still-usable; ls')
const rss = process.memoryUsage().rss
const outBytes = (await sandbox.exists('out.bin')) ? (await sandbox.stat('out.bin')).size : -1
await sandbox.close()
console.log(
  JSON.stringify({
    exitCode: result.exitCode,
    stdout: result.stdout.slice(0, 200),
    stderr: result.stderr.slice(0, 300),
    after: after.stdout,
    ticks,
    outBytes,
    rssMb: Math.round(rss / 1024 / 1024),
  }),
)
