// The MCP server of one PyFlue session: an SDK `Server` whose tools are `run_code` and, when the
// session has a sandbox, `read_file`, `write_file` and `list_files`. A run reports what it prints
// as progress notifications (when the client sent a progress token) and stops when the client
// cancels the request (`notifications/cancelled` aborts the run; the session stays as before it).
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import {
  type CallToolRequest,
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type ServerNotification,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js'
import type { ExternalFunctions, ResourceLimits, Sandbox } from '@pyflue/core'
import type { PyflueSession } from './pyflue-session.js'
import { runFailureResult, runSuccessResult, toolFailureResult } from './run-code-output.js'

/** What a session's server is configured with. */
export interface SessionServerConfig {
  readonly name: string
  readonly version: string
  readonly externalFunctions: ExternalFunctions
  readonly resourceLimits: ResourceLimits | undefined
  readonly maxOutputChars: number
  /** How often a run that prints nothing reports progress, in milliseconds. */
  readonly progressIntervalMs: number
  /** Save the session's state after every run that succeeded (`saveStateAfter: 'run'`). */
  readonly saveAfterRun: boolean
}

/** Limitations of a backend's Python that a model should know, by backend name. */
const BACKEND_NOTES: Readonly<Record<string, string>> = {
  monty:
    'This is a sandboxed Python subset (Monty): no third-party packages; no class statements, yield, del, eval/exec, str.format, dataclasses, collections or statistics modules. Available: functions, lambdas, comprehensions, f-strings, try/except, json, re, math, datetime, pathlib, typing, async def/await.',
}

/** Makes the SDK server of one session; connecting it to a transport is the caller's. */
export function createSessionServer(session: PyflueSession, config: SessionServerConfig): Server {
  const server = new Server(
    { name: config.name, version: config.version },
    {
      capabilities: { tools: {} },
      instructions:
        'run_code runs Python in a persistent, sandboxed session: variables stay defined between calls.',
    },
  )
  const tools = toolList(session, config)
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }))
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const args = request.params.arguments ?? {}
    switch (request.params.name) {
      case 'run_code':
        return runCode(session, config, args, request, extra)
      case 'read_file':
      case 'write_file':
      case 'list_files':
        if (session.sandbox) return fileTool(session.sandbox, request.params.name, args)
        break
    }
    throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`)
  })
  return server
}

type Extra = {
  signal: AbortSignal
  sendNotification: (notification: ServerNotification) => Promise<void>
}

async function runCode(
  session: PyflueSession,
  config: SessionServerConfig,
  args: Record<string, unknown>,
  request: CallToolRequest,
  extra: Extra,
): Promise<CallToolResult> {
  const { code, inputs } = args
  if (typeof code !== 'string' || code === '') {
    throw new McpError(ErrorCode.InvalidParams, 'run_code needs `code`: a non-empty string of Python.')
  }
  if (inputs !== undefined && (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs))) {
    throw new McpError(ErrorCode.InvalidParams, 'run_code `inputs` must be an object of name → value.')
  }
  const progress = progressReporter(request, extra, config.progressIntervalMs)
  try {
    const run = await session.backend.run(code, {
      externalFunctions: config.externalFunctions,
      scriptName: '<run_code>',
      signal: extra.signal,
      ...(inputs ? { inputs: inputs as Record<string, unknown> } : {}),
      ...(config.resourceLimits ? { resourceLimits: config.resourceLimits } : {}),
      ...(progress ? { onStdout: progress.stdout } : {}),
    })
    const answer = runSuccessResult(run, config.maxOutputChars)
    if (config.saveAfterRun) await saveAfterRun(session, answer)
    return answer
  } catch (error) {
    if (extra.signal.aborted) throw error // cancelled: the SDK sends no answer
    return runFailureResult(error, config.maxOutputChars)
  } finally {
    progress?.stop()
  }
}

/**
 * Saves after a run; a failed save does not fail the run (its effects are in the namespace) but
 * is told to the client in a second text block, without the error's text (it may name host paths).
 */
async function saveAfterRun(session: PyflueSession, answer: CallToolResult): Promise<void> {
  try {
    await session.save()
  } catch {
    answer.content.push({
      type: 'text',
      text: 'warning: the session state could not be saved after this run.',
    })
  }
}

/** Progress notifications for one request, when its client asked for them with a token. */
function progressReporter(request: CallToolRequest, extra: Extra, intervalMs: number) {
  const token = request.params._meta?.progressToken
  if (token === undefined) return undefined
  let progress = 0
  const send = (message: string) => {
    progress += 1
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress, message },
      })
      .catch(() => {}) // a client gone mid-run is noticed by the abort, not here
  }
  const started = Date.now()
  const heartbeat = setInterval(
    () => send(`running for ${Math.round((Date.now() - started) / 1000)} s`),
    intervalMs,
  )
  heartbeat.unref()
  return { stdout: (text: string) => send(text), stop: () => clearInterval(heartbeat) }
}

async function fileTool(
  sandbox: Sandbox,
  name: string,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  const path = args.path ?? (name === 'list_files' ? '.' : undefined)
  if (typeof path !== 'string' || path === '') {
    throw new McpError(ErrorCode.InvalidParams, `${name} needs \`path\`: a non-empty string.`)
  }
  try {
    if (name === 'read_file') return text(await sandbox.readFile(path))
    if (name === 'write_file') {
      if (typeof args.content !== 'string') {
        throw new McpError(ErrorCode.InvalidParams, 'write_file needs `content`: a string.')
      }
      await sandbox.writeFile(path, args.content)
      return text(`Wrote ${Buffer.byteLength(args.content)} bytes to ${sandbox.resolvePath(path)}.`)
    }
    const names = await sandbox.readdir(path)
    const lines = await Promise.all(
      names.map(async (entry) => {
        const child = `${sandbox.resolvePath(path).replace(/\/$/, '')}/${entry}`
        const stat = await sandbox.stat(child).catch(() => undefined)
        return stat?.isDirectory ? `${entry}/` : entry
      }),
    )
    return text(lines.length === 0 ? '(empty directory)' : lines.join('\n'))
  } catch (error) {
    if (error instanceof McpError) throw error
    return toolFailureResult(error)
  }
}

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] })

function toolList(session: PyflueSession, config: SessionServerConfig): Tool[] {
  const tools: Tool[] = [
    {
      name: 'run_code',
      title: 'Run Python',
      description: describeRunCode(session, config),
      inputSchema: {
        type: 'object',
        properties: {
          code: {
            type: 'string',
            description: 'Python source. The value of the last expression is returned as the result.',
          },
          inputs: {
            type: 'object',
            description: 'Optional values bound as Python variables for this run only (name → JSON value).',
          },
        },
        required: ['code'],
      },
    },
  ]
  if (!session.sandbox) return tools
  const path = {
    type: 'string',
    description: 'A path in the workspace; relative paths start at its working directory.',
  }
  tools.push(
    {
      name: 'read_file',
      description: 'Read a text file of the workspace.',
      inputSchema: { type: 'object', properties: { path }, required: ['path'] },
      annotations: { readOnlyHint: true },
    },
    {
      name: 'write_file',
      description: 'Create or replace a text file of the workspace (parent directories are created).',
      inputSchema: {
        type: 'object',
        properties: { path, content: { type: 'string', description: 'The whole new content.' } },
        required: ['path', 'content'],
      },
    },
    {
      name: 'list_files',
      description: 'List a directory of the workspace (directories end in /).',
      inputSchema: { type: 'object', properties: { path: { ...path, default: '.' } } },
      annotations: { readOnlyHint: true },
    },
  )
  return tools
}

/** The `run_code` description: what it does, the backend's limits, the files, the callable functions. */
function describeRunCode(session: PyflueSession, config: SessionServerConfig): string {
  const lines = [
    'Run Python code in a persistent session: variables, functions and imports stay defined between calls.',
    'The value of the last expression is returned as `result`; print() output as `stdout`; an uncaught exception returns its traceback.',
  ]
  const note = BACKEND_NOTES[session.backend.name]
  if (note) lines.push(note)
  const mounts = session.sandbox?.hostMounts?.() ?? []
  if (mounts.length > 0) {
    const places = mounts.map((mount) => `${mount.sandboxPath} (${mount.mode})`).join(', ')
    lines.push(
      `The workspace's files are visible to Python through open() and pathlib: ${places}. Relative paths start at ${session.sandbox!.cwd}.`,
    )
  }
  const names = Object.keys(config.externalFunctions)
  if (names.length > 0) {
    lines.push('', 'Functions you can call from the Python code (call them directly; do not await them):')
    const signatures =
      session.backend.describeExternalFunctions?.(config.externalFunctions) ??
      names.map((n) => `def ${n}(...)`)
    for (const signature of signatures) lines.push(`  ${signature}`)
  }
  return lines.join('\n')
}
