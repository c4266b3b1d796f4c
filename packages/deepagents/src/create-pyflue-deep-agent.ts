// `createPyflueDeepAgent`: Deep Agents' `createDeepAgent` with PyFlue wired in: a `run_code`
// tool whose Python namespace follows the thread, the agent's LangChain tools callable from that
// Python, and (with a sandbox) the sandbox as the backend of Deep Agents' file tools and
// `execute`, the same files Python sees. Every other option goes to `createDeepAgent` unchanged.
import type { ClientTool, DynamicStructuredTool, ServerTool } from '@langchain/core/tools'
import {
  type ExternalFunctions,
  InvalidArgumentError,
  type PyFlueRegistry,
  type PythonBackend,
  type PythonBackendFactory,
  type ResourceLimits,
  type Sandbox,
} from '@pyflue/core'
import { type AnySubAgent, createDeepAgent } from 'deepagents'
import {
  isPythonThreads,
  type PythonThreads,
  type PythonThreadsOptions,
  pythonThreads,
} from './python-threads.js'
import { runCodeMiddleware } from './run-code-middleware.js'
import { createRunCode, RUN_CODE_TOOL_NAME, type RunCodeEvent } from './run-code-tool.js'
import { type SandboxBackendOptions, sandboxBackend } from './sandbox-backend.js'

/** What PyFlue adds to `createDeepAgent`'s options. */
export interface PyflueDeepAgentOptions {
  /**
   * The Python: a factory (`montyBackend()`) or a name (`'monty'`, resolved through the registry)
   * gives each thread its own namespace; `pythonThreads(...)` the same with your options; one
   * `PythonBackend` is shared by every thread.
   */
  pythonBackend: PythonBackendFactory | PythonBackend | PythonThreads | string
  /** A PyFlue sandbox: Deep Agents' file tools and `execute` run in it, and Python sees its files. */
  sandbox?: Sandbox
  /** Options of the sandbox backend (`execute` deadline, output cap, walk bounds). */
  sandboxOptions?: SandboxBackendOptions
  /** JavaScript functions Python may call inside `run_code`. */
  externalFunctions?: ExternalFunctions
  /**
   * Which LangChain tools Python may call: `'all'` (the default) every tool in `tools`, `'none'`,
   * or a list of tools (they need not be in `tools`, so the model calls them only from Python).
   */
  pythonTools?: 'all' | 'none' | readonly (ClientTool | ServerTool)[]
  /** Limits of every run; omitted limits take the backend's defaults. */
  resourceLimits?: ResourceLimits
  /** Cap on the text `run_code` returns, in characters. Default 8000. */
  maxOutputChars?: number
  /** Called after each `run_code` run. */
  onRun?: (event: RunCodeEvent) => void
  /** Loads a thread's saved Python state (see `pythonThreads`); not with a `PythonThreads` or `PythonBackend`. */
  loadState?: PythonThreadsOptions['loadState']
  /** Saves a thread's Python state after every run that succeeded. */
  saveState?: PythonThreadsOptions['saveState']
  /** Resolves a backend name. Defaults to core's default registry. */
  registry?: PyFlueRegistry
}

/** The options of `createPyflueDeepAgent`: Deep Agents' own (except `backend` when a sandbox is given) and PyFlue's. */
export type CreatePyflueDeepAgentOptions = DeepAgentParams & PyflueDeepAgentOptions

/** `createDeepAgent`'s options as its default type parameters spell them. */
type DeepAgentParams = NonNullable<Parameters<typeof createDeepAgent>[0]>

/** A Deep Agent with its Python threads (close them when the agent is done). */
export type PyflueDeepAgent = ReturnType<typeof createDeepAgent> & {
  /** The Python backends of the agent's threads. */
  readonly python: PythonThreads
  /** The agent's `run_code` tool (its `description` reads per thread during a model call). */
  readonly runCodeTool: DynamicStructuredTool
  /** Closes the Python backends this agent created (not a `PythonBackend` or sandbox you passed in). */
  close(): Promise<void>
}

const PYFLUE_KEYS = Object.keys({
  pythonBackend: true,
  sandbox: true,
  sandboxOptions: true,
  externalFunctions: true,
  pythonTools: true,
  resourceLimits: true,
  maxOutputChars: true,
  onRun: true,
  loadState: true,
  saveState: true,
  registry: true,
} satisfies Record<keyof PyflueDeepAgentOptions, true>)

/**
 * `createDeepAgent` with `run_code` and, when `sandbox` is given, the sandbox as its backend.
 *
 * - `run_code` joins `tools`; subagents that list their own `tools` get it too (the
 *   general-purpose subagent and subagents without `tools` inherit the agent's).
 * - The Python namespace follows `configurable.thread_id`: the same id continues the same
 *   namespace, another id starts a fresh one, calls without one share the thread `'default'`.
 *   Subagents run in their caller's thread, so they share its namespace.
 * - A middleware first in `middleware` keeps `run_code`'s description about the thread of each
 *   model call: its variables and the Python signatures of what it can call.
 * - `sandbox` and `backend` together are refused (`InvalidArgumentError`): the sandbox is the backend.
 *   With `pythonThreads(..., { sandbox })` as `pythonBackend`, that sandbox is the backend unless
 *   `backend` is given; a different `sandbox` is refused.
 */
export function createPyflueDeepAgent(options: CreatePyflueDeepAgentOptions): PyflueDeepAgent {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'createPyflueDeepAgent needs an options object.')
  }
  const pyflue = Object.fromEntries(PYFLUE_KEYS.map((key) => [key, options[key as keyof typeof options]]))
  const { pythonBackend, sandbox, sandboxOptions, loadState, saveState, registry } =
    pyflue as Partial<PyflueDeepAgentOptions>
  const rest = Object.fromEntries(
    Object.entries(options).filter(([key]) => !PYFLUE_KEYS.includes(key)),
  ) as DeepAgentParams
  if (pythonBackend === undefined) {
    throw new InvalidArgumentError(
      'pythonBackend',
      "createPyflueDeepAgent needs a pythonBackend (e.g. montyBackend() or 'monty').",
    )
  }
  if (sandbox !== undefined && rest.backend !== undefined) {
    throw new InvalidArgumentError(
      'backend',
      'Pass either sandbox (it becomes the backend) or backend, not both.',
    )
  }
  const given = isPythonThreads(pythonBackend)
  if (given && (loadState || saveState || registry)) {
    throw new InvalidArgumentError(
      'pythonBackend',
      'With pythonThreads(...) as pythonBackend, give loadState, saveState and registry to pythonThreads.',
    )
  }
  if (
    given &&
    sandbox !== undefined &&
    pythonBackend.sandbox !== undefined &&
    pythonBackend.sandbox !== sandbox
  ) {
    throw new InvalidArgumentError(
      'sandbox',
      'sandbox is not the sandbox of the pythonThreads given as pythonBackend: Python would see other files than the file tools.',
    )
  }
  // With pythonThreads(..., { sandbox }), that sandbox is the file tools' too unless `backend` says otherwise.
  const fileSandbox = sandbox ?? (given && rest.backend === undefined ? pythonBackend.sandbox : undefined)
  const threads = given
    ? pythonBackend
    : pythonThreads(pythonBackend, {
        ...(sandbox ? { sandbox } : {}),
        ...(loadState ? { loadState } : {}),
        ...(saveState ? { saveState } : {}),
        ...(registry ? { registry } : {}),
      })
  const tools = [...(rest.tools ?? [])] as (ClientTool | ServerTool)[]
  if (tools.some((tool) => (tool as { name?: unknown }).name === RUN_CODE_TOOL_NAME)) {
    throw new InvalidArgumentError(
      'tools',
      `The tool name '${RUN_CODE_TOOL_NAME}' is taken by PyFlue's run_code.`,
    )
  }
  const pythonTools = options.pythonTools ?? 'all'
  const runCode = createRunCode(threads, {
    tools: pythonTools === 'all' ? tools : pythonTools === 'none' ? [] : pythonTools,
    ...(options.externalFunctions ? { externalFunctions: options.externalFunctions } : {}),
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    ...(options.maxOutputChars !== undefined ? { maxOutputChars: options.maxOutputChars } : {}),
    ...(options.onRun ? { onRun: options.onRun } : {}),
  })
  const subagents = rest.subagents?.map((subagent: AnySubAgent) =>
    'tools' in subagent && Array.isArray(subagent.tools) && !subagent.tools.includes(runCode.tool)
      ? { ...subagent, tools: [...subagent.tools, runCode.tool] }
      : subagent,
  )
  const agent = createDeepAgent({
    ...rest,
    tools: [...tools, runCode.tool] as NonNullable<DeepAgentParams['tools']>,
    middleware: [runCodeMiddleware(runCode), ...(rest.middleware ?? [])],
    ...(subagents ? { subagents } : {}),
    ...(fileSandbox ? { backend: sandboxBackend(fileSandbox, sandboxOptions) } : {}),
  })
  return Object.assign(agent, {
    python: threads,
    runCodeTool: runCode.tool,
    close: () => (given ? Promise.resolve() : threads.close()),
  }) as PyflueDeepAgent
}
