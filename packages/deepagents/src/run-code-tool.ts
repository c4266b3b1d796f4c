// The `run_code` tool as a LangChain tool: the model sends Python, it runs in the Python backend
// of the call's thread (or in one shared backend), and the model reads back what the code
// printed, the repr of its last expression, or the error with its traceback. The LangChain
// tools in `tools` are callable from that Python as functions of the same name. While the code
// runs, what it prints goes to LangGraph's custom stream (`streamMode: 'custom'`) as it is printed.
import { AsyncLocalStorage } from 'node:async_hooks'
import type { RunnableConfig } from '@langchain/core/runnables'
import { type ClientTool, type DynamicStructuredTool, type ServerTool, tool } from '@langchain/core/tools'
import {
  DEFAULT_MAX_OUTPUT_CHARS,
  type ExternalFunctions,
  formatRunFailure,
  formatRunSuccess,
  InvalidArgumentError,
  type PythonBackend,
  type PythonRunResult,
  type PythonVariableInfo,
  type ResourceLimits,
  refuseUnknownKeys,
  type Sandbox,
} from '@pyflue/core'
import { langchainToolsAsPython } from './langchain-tools-python.js'
import { isBackend, isPythonThreads, type PythonThreads, pythonThreads } from './python-threads.js'

/** The tool's name. */
export const RUN_CODE_TOOL_NAME = 'run_code'

/** Options of `runCodeTool`. */
export interface RunCodeToolOptions {
  /** JavaScript functions Python may call inside `run_code`, listed in the description. */
  externalFunctions?: ExternalFunctions
  /** LangChain tools Python may call inside `run_code` as functions of the same name (programmatic tool calling). */
  tools?: readonly (ClientTool | ServerTool)[]
  /** Variables to list in the description (`createPyflueDeepAgent` lists each thread's own before every model call). */
  variables?: readonly PythonVariableInfo[]
  /** Limits of each run; omitted limits take the backend's defaults. */
  resourceLimits?: ResourceLimits
  /** Cap on the text returned to the model, in characters. Default 8000. */
  maxOutputChars?: number
  /** Called after each run with its outcome, for logging. */
  onRun?: (event: RunCodeEvent) => void
}

const OPTION_KEYS = Object.keys({
  externalFunctions: true,
  tools: true,
  variables: true,
  resourceLimits: true,
  maxOutputChars: true,
  onRun: true,
} satisfies Record<keyof RunCodeToolOptions, true>)

/** What one `run_code` call did. */
export interface RunCodeEvent {
  /** The thread the call ran in (`'default'` without a thread id). */
  threadId: string
  /** The model's tool call id, when a model called the tool (`''` otherwise). */
  toolCallId: string
  code: string
  /** The run, when it succeeded. */
  run?: PythonRunResult
  /** The error, when it failed. */
  error?: unknown
  /** The text returned to the model. */
  output: string
}

/** The `type` of the chunks `run_code` writes to LangGraph's custom stream. */
export const RUN_CODE_STDOUT_CHUNK = 'pyflue-run-code-stdout'

/**
 * A chunk of `streamMode: 'custom'`: text the Python of one `run_code` call printed, written
 * while the code runs (the whole stdout also comes in the tool's answer).
 */
export interface RunCodeStdoutChunk {
  type: typeof RUN_CODE_STDOUT_CHUNK
  /** The thread the call runs in (`'default'` without a thread id). */
  threadId: string
  /** The model's tool call id (`''` when no model called the tool). */
  toolCallId: string
  text: string
}

/** True for a custom-stream chunk `run_code` wrote. */
export function isRunCodeStdoutChunk(chunk: unknown): chunk is RunCodeStdoutChunk {
  return (
    typeof chunk === 'object' &&
    chunk !== null &&
    (chunk as { type?: unknown }).type === RUN_CODE_STDOUT_CHUNK &&
    typeof (chunk as { text?: unknown }).text === 'string'
  )
}

/** The parts of a LangChain tool call's runtime `run_code` reads. */
type ToolCallRuntime = RunnableConfig & {
  toolCallId?: string
  toolCall?: { id?: string }
  writer?: ((chunk: unknown) => void) | null
}

/** A `run_code` tool whose description can follow the thread a model call runs in. */
export interface RunCode {
  readonly threads: PythonThreads
  readonly tool: DynamicStructuredTool
  /** The description for `threadId`: its backend's signatures and the thread's variables. */
  describeFor(threadId: string | undefined): Promise<string>
  /**
   * Runs `fn` (a model call) with the tool's `description` reading as `describeFor(threadId)`,
   * for every read inside `fn`'s asynchronous context only, so concurrent threads each see their own.
   */
  withThreadDescription<T>(threadId: string | undefined, fn: () => Promise<T>): Promise<T>
}

/**
 * The `run_code` tool. `python` is one `PythonBackend` (one namespace, whatever the thread) or
 * `pythonThreads(...)` (a namespace per Deep Agents thread, chosen by `configurable.thread_id`).
 *
 * - Variables, functions and imports persist between calls of one thread.
 * - A failed run (syntax error, exception, limit) answers the model with the error and leaves
 *   the namespace as before it; an abort of the call (the graph's signal) rejects it.
 * - The answer is capped at `maxOutputChars` with a marker in the middle.
 */
export function runCodeTool(
  python: PythonBackend | PythonThreads,
  options: RunCodeToolOptions = {},
): DynamicStructuredTool {
  return createRunCode(python, options).tool
}

/** `runCodeTool` with the per-thread description builder `createPyflueDeepAgent` uses. */
export function createRunCode(
  python: PythonBackend | PythonThreads,
  options: RunCodeToolOptions = {},
): RunCode {
  refuseUnknownKeys(options, OPTION_KEYS, 'runCodeTool options')
  const maybeThreads = isPythonThreads(python)
    ? python
    : isBackend(python)
      ? pythonThreads(python)
      : undefined
  if (!maybeThreads) {
    throw new InvalidArgumentError('python', 'runCodeTool needs a PythonBackend or pythonThreads(...).')
  }
  const threads: PythonThreads = maybeThreads
  const maxChars = options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS
  if (!Number.isInteger(maxChars) || maxChars < 100) {
    throw new InvalidArgumentError(
      'maxOutputChars',
      `maxOutputChars must be an integer of at least 100: got ${maxChars}`,
    )
  }
  const tools = options.tools ?? []

  const run = async ({ code }: { code: string }, config?: ToolCallRuntime): Promise<string> => {
    const threadId = threadIdOf(config)
    const externalFunctions: ExternalFunctions = {
      ...langchainToolsAsPython(tools, () => config).externalFunctions,
      ...options.externalFunctions,
    }
    const id = threadId ?? 'default'
    const toolCallId = config?.toolCallId ?? config?.toolCall?.id ?? ''
    const writer = typeof config?.writer === 'function' ? config.writer : undefined
    const onStdout = writer
      ? (text: string) => {
          try {
            writer({
              type: RUN_CODE_STDOUT_CHUNK,
              threadId: id,
              toolCallId,
              text,
            } satisfies RunCodeStdoutChunk)
          } catch {
            // A stream that cannot take the chunk does not stop the run; the answer has all stdout.
          }
        }
      : undefined
    try {
      const backend = await threads.backendFor(threadId)
      const result = await backend.run(code, {
        externalFunctions,
        scriptName: '<run_code>',
        ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
        ...(config?.signal ? { signal: config.signal } : {}),
        ...(onStdout ? { onStdout } : {}),
      })
      let output = formatRunSuccess(result, maxChars)
      try {
        await threads.save(threadId)
      } catch (error) {
        output += `\n(warning: the Python state could not be saved: ${error instanceof Error ? error.message : String(error)})`
      }
      options.onRun?.({ threadId: id, toolCallId, code, run: result, output })
      return output
    } catch (error) {
      const output = formatRunFailure(error, maxChars)
      options.onRun?.({ threadId: id, toolCallId, code, error, output })
      return output
    }
  }

  const staticDescription = describe(isBackend(python) ? python : undefined, options.variables ?? [])
  const runCode = tool(run, {
    name: RUN_CODE_TOOL_NAME,
    description: staticDescription,
    schema: {
      type: 'object',
      properties: {
        code: {
          type: 'string',
          description: 'Python source. The value of the last expression is returned as the result.',
        },
      },
      required: ['code'],
      additionalProperties: false,
    },
  }) as DynamicStructuredTool
  const threadDescription = new AsyncLocalStorage<string>()
  Object.defineProperty(runCode, 'description', {
    configurable: true,
    enumerable: true,
    get: () => threadDescription.getStore() ?? staticDescription,
    set: () => {},
  })

  async function describeFor(threadId: string | undefined): Promise<string> {
    const backend = await threads.backendFor(threadId)
    const variables = (await backend.listVariables?.()) ?? []
    return describe(backend, variables)
  }

  function describe(backend: PythonBackend | undefined, variables: readonly PythonVariableInfo[]): string {
    return describeRunCode({
      backendName: backend?.name ?? threads.backendName,
      ...(backend ? { backend } : {}),
      ...(threads.sandbox ? { sandbox: threads.sandbox } : {}),
      externalFunctions: options.externalFunctions ?? {},
      toolSignatures: langchainToolsAsPython(tools, () => undefined).signatures,
      variables,
    })
  }

  return {
    threads,
    tool: runCode,
    describeFor,
    async withThreadDescription(threadId, fn) {
      // A thread whose backend cannot open (a missing package, a corrupt saved state) keeps
      // the static description; its run_code calls answer the error.
      const description = await describeFor(threadId).catch(() => staticDescription)
      return threadDescription.run(description, fn)
    },
  }
}

/** The thread of a LangChain call: `configurable.thread_id`, when there is one. */
export function threadIdOf(config: RunnableConfig | undefined): string | undefined {
  const id = (config?.configurable as { thread_id?: unknown } | undefined)?.thread_id
  return typeof id === 'string' && id !== '' ? id : typeof id === 'number' ? String(id) : undefined
}

/** Limitations of a backend's Python the model should know, by backend name. */
const BACKEND_NOTES: Readonly<Record<string, string>> = {
  monty:
    'This is a sandboxed Python subset (Monty): no third-party packages; no class statements, yield, del, eval/exec, str.format, dataclasses, collections or statistics modules. Available: functions, lambdas, comprehensions, f-strings, try/except, json, re, math, datetime, pathlib, typing, async def/await.',
}

/** What the `run_code` description is made of. */
export interface RunCodeDescription {
  backendName: string | undefined
  /** The backend, when one exists: it describes the external functions by signature. */
  backend?: PythonBackend
  sandbox?: Sandbox
  externalFunctions: ExternalFunctions
  /** Signatures of the LangChain tools callable from Python. */
  toolSignatures: readonly string[]
  variables: readonly PythonVariableInfo[]
}

/** The `run_code` description: what it does, the backend's limits, the sandbox's files, the callable functions and the variables. */
export function describeRunCode(parts: RunCodeDescription): string {
  const lines = [
    'Run Python code in a persistent session: variables, functions and imports stay defined between calls.',
    'The value of the last expression is returned as `result`; print() output is returned as `stdout`; an uncaught exception returns its traceback.',
    'Use it for any calculation, data processing or exact counting instead of doing it in your head.',
  ]
  const note = parts.backendName ? BACKEND_NOTES[parts.backendName] : undefined
  if (note) lines.push(note)
  const mounts = parts.sandbox?.hostMounts?.() ?? []
  if (mounts.length > 0) {
    const places = mounts.map((mount) => `${mount.sandboxPath} (${mount.mode})`).join(', ')
    lines.push(
      `The files of the file tools are visible to Python at the same paths, through open() and pathlib: ${places}.`,
    )
  }
  const names = Object.keys(parts.externalFunctions)
  const externalSignatures = parts.backend?.describeExternalFunctions
    ? parts.backend.describeExternalFunctions(parts.externalFunctions)
    : names.map((name) => `def ${name}(*args: Any, **kwargs: Any) -> Any`)
  const signatures = [...parts.toolSignatures, ...externalSignatures]
  if (signatures.length > 0) {
    lines.push('', 'Functions you can call from the Python code (call them directly; do not await them):')
    for (const signature of signatures) lines.push(`  ${signature}`)
  }
  if (parts.variables.length > 0) {
    lines.push('', 'Variables already defined in the session:')
    for (const variable of parts.variables.slice(0, 50)) {
      lines.push(`  ${variable.name}: ${variable.type}${variable.preview ? ` = ${variable.preview}` : ''}`)
    }
    if (parts.variables.length > 50) lines.push(`  (${parts.variables.length - 50} more)`)
  }
  return lines.join('\n')
}
