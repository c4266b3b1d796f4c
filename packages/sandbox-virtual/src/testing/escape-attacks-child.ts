/**
 * The issue-10 escape attacks, run in a child process by `escape-race.test.ts` (a crash or a hang
 * fails that test instead of the runner). Prints one JSON line: what leaked and what changed outside.
 * Usage: node --import tsx escape-attacks-child.ts <attack> <outside-dir> <iterations>
 */
import { readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { montyBackend } from '@pyflue/backend-monty'
import { createVirtualSandbox } from '../index.js'

const [attack, outside, iterationText] = process.argv.slice(2) as [string, string, string]
const iterations = Number(iterationText)
const secret = readFileSync(join(outside, 'secret.txt'), 'utf8')
const up = '../'.repeat(10)
const sandbox = await createVirtualSandbox()
const root = sandbox.hostMounts()[0]!.hostDir
const python = await montyBackend().createBackend({ sessionId: 'attack', sandbox })
const seen: string[] = []
const facts: Record<string, string> = {}

/** Records every text a host-side operation gave back (content, output or error). */
async function observe(work: () => Promise<unknown>): Promise<void> {
  try {
    const value = await work()
    seen.push(typeof value === 'string' ? value : String(JSON.stringify(value)))
  } catch (error) {
    seen.push(String(error))
  }
}

const pythonText = async (code: string) => {
  try {
    return String((await python.run(code)).result)
  } catch (error) {
    return String(error)
  }
}

if (attack === 'rename-link') {
  // A relative link that stays inside where the shell makes it, moved by Python to the root.
  const target = `${up}${outside.slice(1)}/secret.txt`
  seen.push(
    (await sandbox.exec(`mkdir -p a/b/c/d/e/f/g/h/i/j && ln -s ${target} a/b/c/d/e/f/g/h/i/j/l`)).stderr,
  )
  seen.push(
    await pythonText("from pathlib import Path\nPath('/a/b/c/d/e/f/g/h/i/j/l').rename('/l')\n'moved'"),
  )
  for (let i = 0; i < iterations; i++) {
    await observe(() => sandbox.readFile('/l'))
    await observe(() => sandbox.exec('cat /l; cat l'))
    await observe(() => sandbox.writeFile('/l', 'pwned'))
  }
  seen.push(await pythonText("from pathlib import Path\nPath('/l').read_text()"))
} else if (attack === 'proc-self') {
  // A link to the host's /proc/self: the environment of the host process.
  process.env.PYFLUE_ATTACK_PROBE = secret
  seen.push(
    (await sandbox.exec(`mkdir -p a/b/c/d/e/f/g/h/i/j && ln -s ${up}proc/self a/b/c/d/e/f/g/h/i/j/p`)).stderr,
  )
  seen.push(
    await pythonText("from pathlib import Path\nPath('/a/b/c/d/e/f/g/h/i/j/p').rename('/p')\n'moved'"),
  )
  await observe(() => sandbox.readFile('/p/environ'))
  await observe(() => sandbox.exec('cat /p/environ'))
  seen.push(await pythonText("from pathlib import Path\nPath('/p/environ').read_text()"))
} else if (attack === 'swap-race' || attack === 'swap-race-planted') {
  // A Python loop swaps a real directory and a link to the outside under one name while the host reads
  // and writes through that name. `swap-race-planted` puts the link there from the host (as if some
  // tool had left it), so the race runs even though no sandbox actor can make one.
  await sandbox.writeFile('/s/secret.txt', 'decoy')
  if (attack === 'swap-race-planted') symlinkSync(`${up}${outside.slice(1)}`, join(root, 'lnk'))
  else
    seen.push(
      (
        await sandbox.exec(
          `mkdir -p a/b/c/d/e/f/g/h/i/j && ln -s ${up}${outside.slice(1)} a/b/c/d/e/f/g/h/i/j/lnk`,
        )
      ).stderr,
    )
  if (attack === 'swap-race') {
    seen.push(
      await pythonText("from pathlib import Path\nPath('/a/b/c/d/e/f/g/h/i/j/lnk').rename('/lnk')\n'moved'"),
    )
  }
  const loop = `from pathlib import Path
n = 0
for i in range(${iterations * 20}):
    try:
        Path('/s').rename('/t')
        Path('/lnk').rename('/s')
        for k in range(200):
            pass
        Path('/s').rename('/lnk')
        Path('/t').rename('/s')
        n += 1
    except OSError:
        pass
n`
  let done = false
  const swapping = pythonText(loop).finally(() => {
    done = true
  })
  let rounds = 0
  while (!done || rounds < iterations) {
    rounds++
    await observe(() => sandbox.readFile('/s/secret.txt'))
    await observe(() => sandbox.readdir('/s'))
    await observe(() => sandbox.stat('/s/secret.txt'))
    await observe(() => sandbox.exec('cat /s/secret.txt; ls /s; echo x > /s/shell.txt; mkdir /s/shelldir'))
    await observe(() => sandbox.mkdir(`/s/dir-${rounds}`))
    await observe(() => sandbox.writeFile('/s/secret.txt', 'decoy'))
    if (rounds > iterations * 50) break
  }
  facts.swaps = await swapping
  facts.rounds = String(rounds)
} else if (attack === 'exists-oracle') {
  // Through such a link Python's exists() told host paths that exist from those that do not.
  seen.push(
    (
      await sandbox.exec(
        `mkdir -p a/b/c/d/e/f/g/h/i/j && ln -s ${up}${outside.slice(1)} a/b/c/d/e/f/g/h/i/j/o`,
      )
    ).stderr,
  )
  seen.push(
    await pythonText("from pathlib import Path\nPath('/a/b/c/d/e/f/g/h/i/j/o').rename('/o')\n'moved'"),
  )
  const probe = (name: string) =>
    pythonText(
      `from pathlib import Path\ntry:\n    r = str(Path('/o/${name}').exists())\nexcept Exception as e:\n    r = type(e).__name__\nr`,
    )
  facts.exists = await probe('secret.txt')
  facts.missing = await probe('no-such-file.txt')
}

await python.close()
await sandbox.close()
process.stdout.write(
  `${JSON.stringify({ leaked: seen.filter((text) => text.includes(secret)), seen: seen.slice(0, 40), facts, outside: readdirSync(outside).sort() })}\n`,
)
