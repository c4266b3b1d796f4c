/**
 * A third party's Python backend, written only against @pyflue/core's public *types* (nothing
 * from core is imported at run time). It runs real CPython (just-bash's WebAssembly build) and
 * keeps the session's namespace as a pickle in just-bash's in-memory filesystem.
 * It exists to prove that the contract can be implemented from its text alone.
 */
import { readFileSync } from 'node:fs'
import type {
  DataclassConstructor,
  DataclassSpec,
  PythonBackend,
  PythonBackendFactory,
  PythonRunOptions,
  PythonRunResult,
  StandardSchemaV1,
} from '@pyflue/core'
import { Bash } from 'just-bash'

const DRIVER = readFileSync(new URL('./cpython-driver.py', import.meta.url), 'utf8')
const MAGIC = new TextEncoder().encode('TOY-CPYTHON-STATE/1\n')
const MARKER = '@@PYFLUE-RESULT@@'
/**
 * The deadline of a run that sets no `maxDurationSecs` (the contract says a run is never
 * unlimited). It is generous on purpose: CPython in WebAssembly takes seconds per run on a
 * loaded machine, and a default deadline must never decide a passing run's fate.
 */
const DEFAULT_MAX_DURATION_SECS = 300

type DriverOutcome =
  | { ok: true; result: unknown; stdout: string }
  | { ok: false; kind: 'syntax'; excType: string; message: string; line?: number }
  | {
      ok: false
      kind: 'runtime'
      excType: string
      message: string
      traceback: { filename: string; line: number; name: string; source?: string }[]
    }

/** Errors shaped like @pyflue/core's, built without importing it. */
function pyflueError(
  name: string,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): Error {
  const error = new Error(message)
  error.name = name
  return Object.assign(error, { code }, extra)
}

function abortError(signal: AbortSignal): DOMException {
  const error = new DOMException('The Python run was aborted.', 'AbortError')
  Object.defineProperty(error, 'cause', { value: signal.reason })
  return error
}

export class ToyCPythonBackend implements PythonBackend {
  readonly name = 'toy-cpython'
  readonly contractVersion = 1 as const
  readonly #bash = new Bash({ python: true })
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false
  #ready: Promise<void>

  constructor() {
    this.#ready = (async () => {
      await this.#bash.fs.mkdir('/state', { recursive: true })
      await this.#bash.fs.mkdir('/run', { recursive: true })
      await this.#bash.fs.writeFile('/run/driver.py', DRIVER)
    })()
  }

  run<O extends PythonRunOptions<StandardSchemaV1 | undefined>>(code: string, options?: O): Promise<any> {
    return this.#serial(() => this.#run(code, options ?? {}))
  }

  async #run(
    code: string,
    options: PythonRunOptions<StandardSchemaV1 | undefined>,
  ): Promise<PythonRunResult> {
    if (this.#closed) throw pyflueError('ClosedError', 'CLOSED', 'This python backend has been closed.')
    if (options.signal?.aborted) throw abortError(options.signal)
    await this.#ready
    await this.#bash.fs.writeFile('/run/snippet.py', code)
    await this.#bash.fs.writeFile('/run/inputs.json', JSON.stringify(options.inputs ?? {}))
    const seconds = options.resourceLimits?.maxDurationSecs ?? DEFAULT_MAX_DURATION_SECS
    const deadline = AbortSignal.timeout(seconds * 1000)
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline
    const started = performance.now()
    const shell = await this.#bash.exec('python3 /run/driver.py', { signal })
    if (options.signal?.aborted) throw abortError(options.signal)
    if (deadline.aborted || shell.exitCode === 124) {
      throw pyflueError(
        'ResourceLimitError',
        'RESOURCE_LIMIT',
        `The run exceeded its maxDurationSecs limit (${seconds}).`,
        {
          limit: 'maxDurationSecs',
          value: seconds,
        },
      )
    }
    const line = shell.stdout.split('\n').find((l) => l.startsWith(MARKER))
    if (!line) throw new Error(`The CPython driver failed: ${shell.stderr}`)
    const outcome = JSON.parse(line.slice(MARKER.length)) as DriverOutcome
    if (!outcome.ok && outcome.kind === 'syntax') {
      throw pyflueError('PythonSyntaxError', 'PYTHON_SYNTAX', `${outcome.excType}: ${outcome.message}`, {
        excType: outcome.excType,
        pythonMessage: outcome.message,
        line: outcome.line,
      })
    }
    if (!outcome.ok) {
      throw pyflueError('PythonRuntimeError', 'PYTHON_RUNTIME', `${outcome.excType}: ${outcome.message}`, {
        excType: outcome.excType,
        pythonMessage: outcome.message,
        traceback: outcome.traceback,
      })
    }
    let result = outcome.result
    if (options.result) {
      const validated = await options.result['~standard'].validate(result)
      if (validated.issues) {
        throw pyflueError('ResultValidationError', 'RESULT_VALIDATION', 'The result failed validation.', {
          issues: validated.issues,
          value: result,
        })
      }
      result = validated.value
    }
    return {
      result,
      stdout: outcome.stdout,
      backend: this.name,
      durationMs: performance.now() - started,
      metadata: {},
    }
  }

  dumpState(): Promise<Uint8Array> {
    return this.#serial(async () => {
      await this.#ready
      const state = (await this.#bash.fs.exists('/state/session.pickle'))
        ? await this.#bash.fs.readFileBuffer('/state/session.pickle')
        : new Uint8Array()
      const length = new Uint8Array(new Uint32Array([state.byteLength]).buffer)
      return concat(MAGIC, length, state)
    })
  }

  loadState(bytes: Uint8Array): Promise<void> {
    return this.#serial(async () => {
      await this.#ready
      const header = bytes.subarray(0, MAGIC.byteLength)
      if (header.byteLength !== MAGIC.byteLength || !header.every((b, i) => b === MAGIC[i])) {
        throw pyflueError(
          'StateFormatError',
          'STATE_FORMAT',
          'These bytes are not a toy-cpython state dump.',
          {
            reason: 'magic',
          },
        )
      }
      const lengthBytes = bytes.slice(MAGIC.byteLength, MAGIC.byteLength + 4)
      const body = bytes.subarray(MAGIC.byteLength + 4)
      if (lengthBytes.byteLength !== 4 || new Uint32Array(lengthBytes.buffer)[0] !== body.byteLength) {
        throw pyflueError('StateFormatError', 'STATE_FORMAT', 'The state dump is truncated.', {
          reason: 'truncated',
        })
      }
      if (body.byteLength === 0) await this.#bash.fs.rm('/state/session.pickle', { force: true })
      else await this.#bash.fs.writeFile('/state/session.pickle', body)
    })
  }

  registerDataclass(_cls: DataclassConstructor, _spec: DataclassSpec): void {
    throw pyflueError(
      'SandboxOperationUnsupportedError',
      'SANDBOX_OPERATION_UNSUPPORTED',
      'toy-cpython has no dataclasses.',
    )
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task, task)
    this.#queue = next.catch(() => {})
    return next
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

/** The factory a third party would publish. */
export const toyCPythonBackend: PythonBackendFactory = {
  name: 'toy-cpython',
  async createBackend() {
    return new ToyCPythonBackend()
  },
}
