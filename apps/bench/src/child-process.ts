/**
 * Runs a TypeScript file of `src/children/` in a fresh Node process (through tsx, as the bench
 * itself runs) and collects the JSON it prints last on stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process'

const tsx = import.meta.resolve('tsx')

/** A child still running after this long is killed (it then exits with no code, an error). */
const CHILD_TIMEOUT_MS = 600_000

/** Spawns `src/children/<name>` with `args`; stdout is piped, stderr goes to the bench's stderr. */
export function spawnChild(name: string, args: readonly string[]): ChildProcess {
  const file = new URL(`./children/${name}`, import.meta.url).pathname
  const child = spawn(process.execPath, ['--import', tsx, file, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
  timer.unref()
  child.on('exit', () => clearTimeout(timer))
  return child
}

/** Lines a child prints on stdout, one callback per line. */
export function onLines(child: ChildProcess, line: (text: string) => void): void {
  let buffered = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk
    let end = buffered.indexOf('\n')
    while (end >= 0) {
      line(buffered.slice(0, end))
      buffered = buffered.slice(end + 1)
      end = buffered.indexOf('\n')
    }
  })
}

/** Runs a child to its end and resolves with the JSON of its last stdout line. */
export function runChild<T>(name: string, args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(name, args)
    let last = ''
    onLines(child, (text) => {
      if (text.trim() !== '') last = text
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${name} exited with ${code}`))
      else {
        try {
          resolve(JSON.parse(last) as T)
        } catch {
          reject(new Error(`${name} printed no JSON result (last line: ${last.slice(0, 200)})`))
        }
      }
    })
  })
}
