/**
 * The shell worker's loop: loaded by `shell-worker.ts` once the thread runs at its low priority,
 * it runs one just-bash command at a time over a workspace directory, through the same
 * `WorkspaceFs` as before (race-safe verbs, no links, read-only mode) with its limits held by the
 * main thread (`RemoteLimits`). The main thread terminates the worker to stop a command that never
 * yields; output is cut here, so no more than `maxOutputSize` bytes of each stream ever cross back.
 */
import { parentPort } from 'node:worker_threads'
import { isPyFlueError, type ShellResult } from '@pyflue/core'
import { Bash } from 'just-bash'
import type { FromWorker, ShellJob, ToWorker } from './shell-protocol.js'
import { SHELL_WORK_LIMITS } from './shell-work-limits.js'
import { RemoteLimits } from './shell-worker-limits.js'
import { WorkspaceFs } from './workspace-fs.js'

const port = parentPort
if (!port) throw new Error('shell-worker-loop.ts runs only as a worker thread.')

/** The interpreter of one sandbox configuration (and deadline), reused for its next commands. */
interface Interpreter {
  bash: Bash
  limits: RemoteLimits
}

/** How many interpreters a worker keeps (least recently used ones are dropped). */
const INTERPRETER_CACHE_SIZE = 32
const interpreters = new Map<string, Interpreter>()
let current: Interpreter | undefined

port.on('message', (message: ToWorker) => {
  if (message.type === 'locked') current?.limits.granted(message.usage)
  else if (message.type === 'run') {
    void run(message.job).then((done) => port.postMessage(done satisfies FromWorker))
  }
})

/**
 * The interpreter for `job`: one just-bash per sandbox configuration and deadline. just-bash keeps
 * no shell state between `exec` calls (variables, functions and `cd` are per command), so reusing
 * it changes nothing but the cost of building one (about as much as running `echo`).
 */
function interpreterFor(job: ShellJob): Interpreter {
  const key = JSON.stringify([
    job.root,
    job.readOnly,
    job.limits,
    job.sandboxCwd,
    job.baseEnv,
    job.python,
    job.network ?? null,
    job.maxOutputSize,
    job.shellDeadlineMs ?? null,
  ])
  const cached = interpreters.get(key)
  if (cached) {
    interpreters.delete(key)
    interpreters.set(key, cached)
    return cached
  }
  const limits = new RemoteLimits(job.limits, port!)
  const bash = new Bash({
    fs: new WorkspaceFs({ root: job.root, readOnly: job.readOnly, limits }),
    cwd: job.sandboxCwd,
    env: job.baseEnv,
    python: job.python,
    ...(job.network
      ? {
          network: {
            allowedUrlPrefixes: [...job.network.allowedUrlPrefixes],
            ...(job.network.allowedMethods ? { allowedMethods: [...job.network.allowedMethods] } : {}),
            ...(job.network.denyPrivateRanges ? { denyPrivateRanges: true } : {}),
          },
        }
      : {}),
    executionLimits: {
      ...SHELL_WORK_LIMITS,
      maxOutputSize: job.maxOutputSize,
      ...(job.shellDeadlineMs === undefined ? {} : { maxExecutionTimeMs: job.shellDeadlineMs }),
    },
  })
  const made = { bash, limits }
  interpreters.set(key, made)
  if (interpreters.size > INTERPRETER_CACHE_SIZE) interpreters.delete(interpreters.keys().next().value!)
  return made
}

async function run(job: ShellJob): Promise<FromWorker & { type: 'done' }> {
  current = interpreterFor(job)
  const controller = new AbortController()
  let timedOut = false
  const timer =
    job.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true
          controller.abort(new Error('timeoutMs'))
        }, job.timeoutMs)
  let result: ShellResult
  try {
    const out = await current.bash.exec(job.command, {
      cwd: job.cwd,
      ...(job.env ? { env: job.env } : {}),
      signal: controller.signal,
      rawScript: true,
    })
    if (out.exitCode === 124 && out.stderr.includes('execution deadline')) timedOut = true
    result = { stdout: out.stdout, stderr: out.stderr, exitCode: out.exitCode }
  } catch (error) {
    result = timedOut
      ? { stdout: '', stderr: '', exitCode: 124 }
      : { stdout: '', stderr: `bash: ${shellErrorMessage(error)}\n`, exitCode: 1 }
  } finally {
    clearTimeout(timer)
  }
  return { type: 'done', result: cutOutput(result, job.maxOutputSize), timedOut }
}

/** Cuts stdout and stderr to `max` bytes each (UTF-8), noting the cut on stderr. */
function cutOutput(result: ShellResult, max: number): ShellResult {
  const cut = (text: string): [string, boolean] => {
    if (text.length <= max / 3 || Buffer.byteLength(text) <= max) return [text, false]
    return [
      Buffer.from(text)
        .subarray(0, max)
        .toString('utf8')
        .replace(/\uFFFD$/, ''),
      true,
    ]
  }
  const [stdout, stdoutCut] = cut(result.stdout)
  const [stderr, stderrCut] = cut(result.stderr)
  if (!stdoutCut && !stderrCut) return result
  const note = `exec: output cut at ${max} bytes per stream (maxOutputSize).\n`
  return { stdout, stderr: `${stderr}${note}`, exitCode: result.exitCode }
}

/** A short message for an error the shell library threw instead of reporting (no host paths). */
function shellErrorMessage(error: unknown): string {
  if (isPyFlueError(error)) return error.message
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0] ?? 'internal error'
}
