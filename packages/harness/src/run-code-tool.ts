import {
  DEFAULT_MAX_OUTPUT_CHARS,
  type ExternalFunctionDefinition,
  type ExternalFunctions,
  formatRunFailure,
  formatRunSuccess,
  InvalidArgumentError,
  type PythonBackend,
  type PythonRunOptions,
  type PythonRunResult,
  type PythonVariableInfo,
  type ResourceLimits,
  refuseUnknownKeys,
  type Sandbox,
} from '@pyflue/core'
import { type ModelMessage, type Tool, type ToolSet, tool } from 'ai'
import { z } from 'zod'
import { applicationToolsAsExternalFunctions, type PythonToolEvent } from './application-tools.js'
import { sandboxHostPathScrubber } from './host-paths.js'
import type { PendingApproval } from './python-approvals.js'
import { type PauseContext, settlePauses, toolsNeedingApproval } from './run-code-approvals.js'

/** Something `run_code` can run Python in: a harness session, or a bare `PythonBackend`. */
export type RunCodeTarget =
  | PythonBackend
  | {
      runPython(code: string, options?: PythonRunOptions<undefined>): Promise<PythonRunResult>
      readonly pythonBackend: PythonBackend | undefined
      readonly sandbox?: Sandbox | undefined
    }

/** Options of `runCodeTool`. */
export interface RunCodeToolOptions {
  /** JavaScript functions Python may call inside `run_code`, listed in the tool's description. */
  externalFunctions?: ExternalFunctions
  /** AI SDK tools Python may call inside `run_code` as functions of the same name (programmatic tool calling). */
  tools?: ToolSet
  /** The session's variables, listed in the description (see `PythonBackend.listVariables`). */
  variables?: readonly PythonVariableInfo[]
  /** The sandbox whose files Python sees (through the backend's mounts), for the description. Defaults to the session's. */
  sandbox?: Sandbox
  /** Limits of each run; omitted limits take the backend's defaults. */
  resourceLimits?: ResourceLimits
  /** Cap on the text returned to the model, in characters. Default 8000. */
  maxOutputChars?: number
  /** Called with each chunk the code prints, as it is printed, with the tool call's id. */
  onStdout?: (toolCallId: string, text: string) => void
  /** Called when the code calls one of `tools` (and when that call returns or throws), with the `run_code` call's id. */
  onToolEvent?: (toolCallId: string, event: PythonToolEvent) => void
  /** Called after each run with its outcome, for logging and demos. */
  onRun?: (event: RunCodeEvent) => void
  /**
   * Approvals inside the code (`run-code-approvals.ts`): with a backend that can pause
   * (`PythonBackend.start`), a call of one of `tools` with `needsApproval` pauses the run and the
   * `run_code` call itself then needs approval; `onPause` receives what the session keeps.
   */
  approvals?: { onPause: (pending: PendingApproval) => void; signal?: AbortSignal }
}

/** What one `run_code` call did. */
export interface RunCodeEvent {
  toolCallId: string
  code: string
  /** The run, when it succeeded. */
  run?: PythonRunResult
  /** The error, when it failed. */
  error?: unknown
  /** The text returned to the model. */
  output: string
}

/** Limitations of a backend's Python that the model should know, by backend name. */
const BACKEND_NOTES: Readonly<Record<string, string>> = {
  monty:
    'This is a sandboxed Python subset (Monty): no third-party packages; no class statements, yield, del, eval/exec, str.format, dataclasses, collections or statistics modules. Available: functions, lambdas, comprehensions, f-strings, try/except, json, re, math, datetime, pathlib, typing, async def/await.',
}

/** Backends known to mount a sandbox's `hostMounts()` for Python (see `CreatePythonBackendOptions.sandbox`). */
const BACKENDS_THAT_MOUNT_SANDBOXES: ReadonlySet<string> = new Set(['monty'])

const RUN_CODE_TOOL_OPTION_KEYS = Object.keys({
  externalFunctions: true,
  tools: true,
  variables: true,
  sandbox: true,
  resourceLimits: true,
  maxOutputChars: true,
  onStdout: true,
  onToolEvent: true,
  onRun: true,
  approvals: true,
} satisfies Record<keyof RunCodeToolOptions, true>)

/**
 * The `run_code` tool as a plain AI SDK tool, for any AI SDK application: the model sends
 * Python code, it runs in `target` (a harness session or any `PythonBackend`), and the model
 * gets back text: what the code printed, the repr of its last expression, or the error with its
 * traceback, truncated with a marker. Variables persist between calls. An abort of the tool call
 * stops the run and rejects the call.
 */
export function runCodeTool(
  target: RunCodeTarget,
  options: RunCodeToolOptions = {},
): Tool<{ code: string }, string> {
  refuseUnknownKeys(options, RUN_CODE_TOOL_OPTION_KEYS, 'runCodeTool options')
  const backend = 'run' in target ? target : target.pythonBackend
  if (backend === undefined) {
    throw new InvalidArgumentError(
      'target',
      'runCodeTool needs a session with a Python backend (init({ pythonBackend: "monty" })) or a PythonBackend.',
    )
  }
  const run = (code: string, runOptions: PythonRunOptions<undefined>) =>
    'run' in target ? target.run(code, runOptions) : target.runPython(code, runOptions)
  const maxChars = options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS
  const applicationTools = options.tools ?? {}

  const sandbox = options.sandbox ?? ('run' in target ? undefined : target.sandbox)
  // What the model reads names sandbox paths, never the host directories behind them.
  const scrub = sandboxHostPathScrubber(sandbox)
  const externalsFor = (toolCallId: string, signal: AbortSignal | undefined): ExternalFunctions => ({
    ...applicationToolsAsExternalFunctions(applicationTools, {
      toolCallIdPrefix: toolCallId,
      ...(signal ? { signal } : {}),
      ...(options.onToolEvent
        ? { onEvent: (event: PythonToolEvent) => options.onToolEvent?.(toolCallId, event) }
        : {}),
    }),
    ...options.externalFunctions,
  })
  const pausing = toolsNeedingApproval(applicationTools)
  const approvals = options.approvals
  // Runs that finished while `needsApproval` ran them, by call id: `execute` hands their text over.
  const finished = new Map<string, string>()
  const needsApproval =
    approvals && pausing.size > 0 && typeof backend.start === 'function'
      ? async (
          { code }: { code: string },
          { toolCallId, messages }: { toolCallId: string; messages: ModelMessage[] },
        ) => {
          const externalFunctions = externalsFor(toolCallId, approvals.signal)
          const onStdout = options.onStdout
          const context: PauseContext = {
            backend,
            tools: applicationTools,
            externalFunctions,
            pausing,
            runCodeCallId: toolCallId,
            messages,
            ...(approvals.signal ? { signal: approvals.signal } : {}),
            maxOutputChars: maxChars,
            scrub,
          }
          const settled = await settlePauses(context, () =>
            backend.start!(code, {
              externalFunctions,
              scriptName: '<run_code>',
              pauseOn: [...pausing],
              ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
              ...(approvals.signal ? { signal: approvals.signal } : {}),
              ...(onStdout ? { onStdout: (text: string) => onStdout(toolCallId, text) } : {}),
            }),
          )
          if (settled.kind === 'waiting') {
            approvals.onPause(settled.pending)
            return true
          }
          finished.set(toolCallId, settled.output)
          return false
        }
      : undefined
  return tool({
    ...(needsApproval ? { needsApproval } : {}),
    description: describeRunCode(backend, { ...options, ...(sandbox ? { sandbox } : {}) }),
    inputSchema: z.object({
      code: z
        .string()
        .min(1)
        .describe('Python source. The value of the last expression is returned as the result.'),
    }),
    execute: async ({ code }, { toolCallId, abortSignal }) => {
      const done = finished.get(toolCallId)
      if (done !== undefined) {
        finished.delete(toolCallId)
        options.onRun?.({ toolCallId, code, output: done })
        return done
      }
      // Here no call pauses: a tool that needs approval refuses to run (see `refusingApproval`).
      const externalFunctions = refusingApproval(externalsFor(toolCallId, abortSignal), pausing)
      const onStdout = options.onStdout
      let output: string
      try {
        const result = await run(code, {
          externalFunctions,
          scriptName: '<run_code>',
          ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
          ...(abortSignal ? { signal: abortSignal } : {}),
          ...(onStdout ? { onStdout: (text: string) => onStdout(toolCallId, text) } : {}),
        })
        output = scrub(formatRunSuccess(result, maxChars))
        options.onRun?.({ toolCallId, code, run: result, output })
      } catch (error) {
        output = scrub(formatRunFailure(error, maxChars))
        options.onRun?.({ toolCallId, code, error, output })
      }
      return output
    },
  })
}

/**
 * `functions` with every tool of `needing` (application tools with `needsApproval`) replaced by
 * one that raises `PermissionError` in Python: where the run cannot pause for a person's answer
 * (a backend without `start`, or `runCodeTool` used without approvals), such a tool never runs
 * unapproved.
 */
function refusingApproval(functions: ExternalFunctions, needing: ReadonlySet<string>): ExternalFunctions {
  if (needing.size === 0) return functions
  const guarded: ExternalFunctions = { ...functions }
  for (const name of needing) {
    const definition = functions[name]
    if (typeof definition !== 'object') continue
    guarded[name] = {
      ...definition,
      execute: () => {
        const error = new Error(
          `${name} needs a person's approval, and this run cannot pause for it; ask the user instead.`,
        )
        error.name = 'PermissionError'
        throw error
      },
    }
  }
  return guarded
}

/** The `run_code` description: what it does, the backend's limits, the callable functions and the variables. */
export function describeRunCode(backend: PythonBackend, options: RunCodeToolOptions): string {
  const lines = [
    'Run Python code in a persistent session: variables, functions and imports stay defined between calls.',
    'The value of the last expression is returned as `result`; print() output is returned as `stdout`; an uncaught exception returns its traceback.',
    'Use it for any calculation, data processing or exact counting instead of doing it in your head.',
  ]
  const note = BACKEND_NOTES[backend.name]
  if (note) lines.push(note)
  const mounts = BACKENDS_THAT_MOUNT_SANDBOXES.has(backend.name)
    ? (options.sandbox?.hostMounts?.() ?? [])
    : []
  if (mounts.length > 0) {
    const places = mounts.map((mount) => `${mount.sandboxPath} (${mount.mode})`).join(', ')
    lines.push(
      `The sandbox's files are visible to Python at the same paths, through open() and pathlib: ${places}. Relative paths start at ${options.sandbox!.cwd}.`,
    )
  }
  const functions: ExternalFunctions = {
    ...applicationToolsAsExternalFunctions(options.tools ?? {}, { toolCallIdPrefix: 'describe' }),
    ...options.externalFunctions,
  }
  if (Object.keys(functions).length > 0) {
    lines.push('', 'Functions you can call from the Python code (call them directly; do not await them):')
    const signatures = backend.describeExternalFunctions
      ? backend.describeExternalFunctions(functions)
      : Object.entries(functions).map(([name, fn]) => fallbackSignature(name, fn))
    const names = Object.keys(functions)
    signatures.forEach((signature, index) => {
      lines.push(`  ${signature}`)
      const fn = functions[names[index]!]
      const description = typeof fn === 'object' ? fn.description : undefined
      if (description && !signature.includes(description)) lines.push(`      """${description}"""`)
    })
  }
  const needing = [...toolsNeedingApproval(options.tools ?? {})]
  if (needing.length > 0) {
    lines.push(
      `Calls of ${needing.join(', ')} need a person's approval: the run waits at the call for the answer; a denied call raises PermissionError (catch it to go on).`,
    )
  }
  const variables = options.variables ?? []
  if (variables.length > 0) {
    lines.push('', 'Variables already defined in the session:')
    for (const variable of variables.slice(0, 50)) {
      lines.push(`  ${variable.name}: ${variable.type}${variable.preview ? ` = ${variable.preview}` : ''}`)
    }
    if (variables.length > 50) lines.push(`  (${variables.length - 50} more)`)
  }
  return lines.join('\n')
}

function fallbackSignature(name: string, fn: ExternalFunctions[string]): string {
  if (typeof fn === 'function') return `def ${name}(*args)`
  const definition = fn as ExternalFunctionDefinition
  const shape = (definition.parameters as { shape?: Record<string, unknown> }).shape
  const names = definition.parameterNames ?? (shape ? Object.keys(shape) : [])
  return `def ${name}(${names.join(', ')}) -> ${definition.returns ?? 'Any'}`
}
