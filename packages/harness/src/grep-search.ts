/**
 * The `grep` tool's search: the pattern is bounded before it is compiled (`checkGrepPattern`),
 * then compiled and matched in a worker thread, so the host's event loop never runs the regular
 * expression. The files are read through the sandbox on the calling thread (each at most
 * `maxFileBytes`) and handed to the worker one at a time; the run's deadline and abort signal
 * terminate the worker at once, whatever it is doing.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { createAbortError, InvalidArgumentError, ResourceLimitError, type Sandbox } from '@pyflue/core'
import { checkGrepPattern, MAX_GREP_PROGRAM_SIZE } from './grep-pattern.js'
import type { WalkedFile } from './walk-sandbox.js'

/** Longest part of a matching line shown, in characters. */
const MAX_SHOWN_LINE_CHARS = 500

/** The worker: compiles the pattern, then answers each file with its matching lines. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { RE2JS } = require(workerData.re2Path)
let regex
try {
  regex = RE2JS.compile(workerData.pattern, workerData.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0)
  parentPort.postMessage({ type: 'ready', programSize: regex.programSize() })
} catch (error) {
  parentPort.postMessage({ type: 'invalid', message: String((error && error.message) || error) })
}
parentPort.on('message', ({ text, remaining, maxLineChars }) => {
  const found = []
  if (!text.includes('\\u0000')) {
    const lines = text.split('\\n')
    for (let i = 0; i < lines.length && found.length < remaining; i++) {
      const line = lines[i]
      if (regex.matcher(line).find()) {
        found.push([i + 1, line.length > maxLineChars ? line.slice(0, maxLineChars) + ' [line cut]' : line])
      }
    }
  }
  parentPort.postMessage({ type: 'matches', found })
})
`

/** What one grep run is asked. */
export interface GrepSearch {
  pattern: string
  ignoreCase: boolean
  files: readonly WalkedFile[]
  maxMatches: number
  maxFileBytes: number
  timeoutMs: number
  signal?: AbortSignal | undefined
}

/**
 * Searches `files` for `pattern`; resolves with `path:line: text` lines (at most `maxMatches`)
 * and whether it stopped there. Rejects with `InvalidArgumentError` for a pattern that is too
 * big or invalid, `ResourceLimitError` (`maxDurationSecs`) past `timeoutMs`, and the abort error
 * when `signal` aborts. Files that cannot be read, are bigger than `maxFileBytes` or hold a NUL
 * byte are skipped.
 */
export async function grepFiles(
  sandbox: Sandbox,
  search: GrepSearch,
): Promise<{ matches: string[]; stoppedAtMax: boolean }> {
  checkGrepPattern(search.pattern)
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      re2Path: createRequire(import.meta.url).resolve('re2js'),
      pattern: search.pattern,
      ignoreCase: search.ignoreCase,
    },
    resourceLimits: { maxOldGenerationSizeMb: 256 },
    stdout: false,
    stderr: false,
  })
  const nextMessage = messages(worker)
  const stop = stopper(search.signal, search.timeoutMs)
  try {
    const ready = (await stop.race(nextMessage())) as
      | { type: 'ready'; programSize: number }
      | { type: 'invalid'; message: string }
    if (ready.type === 'invalid')
      throw new InvalidArgumentError('pattern', `Invalid regular expression: ${ready.message}`)
    if (ready.programSize > MAX_GREP_PROGRAM_SIZE) {
      throw new InvalidArgumentError(
        'pattern',
        `The pattern compiles to ${ready.programSize} steps, more than ${MAX_GREP_PROGRAM_SIZE}; use a simpler pattern.`,
      )
    }
    const matches: string[] = []
    for (const file of search.files) {
      let text: string
      try {
        const info = await stop.race(sandbox.stat(file.path))
        if (!info.isFile || (info.size !== undefined && info.size > search.maxFileBytes)) continue
        text = await stop.race(sandbox.readFile(file.path))
      } catch (error) {
        if (stop.stopped) throw error
        continue
      }
      if (text.length > search.maxFileBytes) continue
      worker.postMessage({
        text,
        remaining: search.maxMatches - matches.length,
        maxLineChars: MAX_SHOWN_LINE_CHARS,
      })
      const reply = (await stop.race(nextMessage())) as { found: [number, string][] }
      for (const [line, shown] of reply.found) matches.push(`${file.path}:${line}: ${shown}`)
      if (matches.length >= search.maxMatches) return { matches, stoppedAtMax: true }
    }
    return { matches, stoppedAtMax: false }
  } finally {
    stop.dispose()
    await worker.terminate()
  }
}

/** A function that resolves with the worker's next message, rejecting when it fails or exits first. */
function messages(worker: Worker): () => Promise<unknown> {
  let waiting: { resolve: (message: unknown) => void; reject: (error: unknown) => void } | undefined
  let ended: unknown
  const settle = (error: unknown) => {
    ended ??= error
    waiting?.reject(ended)
    waiting = undefined
  }
  worker.on('message', (message: unknown) => {
    waiting?.resolve(message)
    waiting = undefined
  })
  worker.on('error', settle)
  worker.on('exit', (code: number) => settle(new Error(`The grep worker exited (${code}).`)))
  return () =>
    ended === undefined
      ? new Promise((resolve, reject) => {
          waiting = { resolve, reject }
        })
      : Promise.reject(ended)
}

/** Races promises against `signal` and a deadline `timeoutMs` from now. */
function stopper(signal: AbortSignal | undefined, timeoutMs: number) {
  let fail!: (error: unknown) => void
  let stopped = false
  const failed = new Promise<never>((_, reject) => {
    fail = (error) => {
      stopped = true
      reject(error)
    }
  })
  failed.catch(() => {})
  const timer = setTimeout(
    () =>
      fail(
        new ResourceLimitError({
          limit: 'maxDurationSecs',
          value: timeoutMs / 1000,
          message: `grep did not finish within ${timeoutMs} ms and was stopped; narrow the search (path, include) or simplify the pattern.`,
        }),
      ),
    timeoutMs,
  )
  const onAbort = () => fail(createAbortError(signal))
  if (signal?.aborted) onAbort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  return {
    get stopped() {
      return stopped
    },
    race<T>(promise: Promise<T>): Promise<T> {
      promise.catch(() => {})
      return Promise.race([promise, failed])
    },
    dispose() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    },
  }
}
