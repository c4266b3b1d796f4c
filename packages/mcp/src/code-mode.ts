// Code mode: the tools of MCP servers as Python functions. `mcpToolsAsPython` lists each
// server's tools and makes one schema-declared external function per tool, whose signature
// comes from the tool's JSON Schemas; pass `externalFunctions` to `runPython`, to a backend's
// `run`, or to the harness's `run_code`, and the model writes one Python program that calls many
// tools instead of one model round trip per tool call.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { type CallToolResult, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js'
import {
  type ExternalFunctionDefinition,
  type ExternalFunctions,
  InvalidArgumentError,
  type JsonSchema,
  parameterOrder,
  pythonSignature,
  pythonType,
  refuseUnknownKeys,
  type StandardSchemaV1,
  type StandardSchemaV1Issue,
} from '@pyflue/core'
import { McpToolError } from './errors.js'

/** An MCP server to start (stdio: a command) or to reach (Streamable HTTP: a URL). */
export type McpServerConfig =
  | { command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { url: string | URL; headers?: Record<string, string> }

/** Where tools come from: a connected SDK client, or servers by name (each a client or a config). */
export type McpToolSource = Client | Readonly<Record<string, Client | McpServerConfig>>

/** Options of `mcpToolsAsPython`. */
export interface McpToolsAsPythonOptions {
  /**
   * Prefix each function with its server's name (`weather_forecast`). Default: `true` when the
   * source names its servers (a record), `false` for a bare client.
   */
  prefix?: boolean
  /** Keeps only the tools it returns `true` for. */
  filter?: (tool: Tool, server: string) => boolean
  /** Deadline of one tool call in milliseconds. Default 60000. */
  timeoutMs?: number
}

const OPTION_KEYS = Object.keys({ prefix: true, filter: true, timeoutMs: true } satisfies Record<
  keyof McpToolsAsPythonOptions,
  true
>)

/** The tools as Python functions. */
export interface McpPythonTools {
  /** One schema-declared external function per tool, by its Python name. */
  readonly externalFunctions: ExternalFunctions
  /** Python signature of each function with its tool's description, e.g. `def add(a: int, b: int) -> Any  # Adds`. */
  readonly signatures: readonly string[]
  /** Python name → the server and tool it calls. */
  readonly tools: ReadonlyMap<string, { server: string; tool: Tool }>
  /** Closes the clients this call opened from configs (clients passed in stay open). */
  close(): Promise<void>
}

/**
 * Lists the tools of every server and returns them as Python functions.
 *
 * - A function takes the tool's parameters as keyword arguments (or positionally: required ones
 *   first, in schema order); missing required ones and unknown names are a Python `TypeError`
 *   before the server is called; the server validates the values.
 * - It returns the tool's `structuredContent` when there is one (dicts and lists in Python),
 *   else the text of its text content (one string), else the content blocks as dicts.
 * - A tool result with `isError: true` and a protocol error both raise `RuntimeError` in Python
 *   (a `McpToolError` with the tool's name and the server's message).
 * - Names are Python identifiers made from the tool names (other characters become `_`); two
 *   tools with one name are refused with `InvalidArgumentError`.
 */
export async function mcpToolsAsPython(
  source: McpToolSource,
  options: McpToolsAsPythonOptions = {},
): Promise<McpPythonTools> {
  refuseUnknownKeys(options, OPTION_KEYS, 'mcpToolsAsPython options')
  const servers: [string, Client | McpServerConfig][] = isClient(source)
    ? [['mcp', source]]
    : Object.entries(source)
  if (servers.length === 0)
    throw new InvalidArgumentError('source', 'mcpToolsAsPython needs at least one server.')
  const prefix = options.prefix ?? !isClient(source)
  const timeout = options.timeoutMs ?? 60_000
  if (!Number.isInteger(timeout) || timeout < 1) {
    throw new InvalidArgumentError('timeoutMs', `timeoutMs must be a positive integer: got ${timeout}`)
  }
  if (options.filter !== undefined && typeof options.filter !== 'function') {
    throw new InvalidArgumentError('filter', 'filter must be a function (tool, server) => boolean.')
  }
  const opened: Client[] = []
  const externalFunctions: ExternalFunctions = {}
  const signatures: string[] = []
  const tools = new Map<string, { server: string; tool: Tool }>()
  try {
    for (const [server, entry] of servers) {
      const client = isClient(entry) ? entry : await connectClient(entry, server)
      if (!isClient(entry)) opened.push(client)
      for (const tool of await listAllTools(client)) {
        if (options.filter && !options.filter(tool, server)) continue
        const name = pythonName(prefix ? `${server}_${tool.name}` : tool.name)
        if (tools.has(name)) {
          throw new InvalidArgumentError(
            'source',
            `Two tools become the Python function ${name}; use prefix: true.`,
          )
        }
        tools.set(name, { server, tool })
        externalFunctions[name] = toolFunction(client, tool, timeout)
        const doc = tool.description?.split('\n')[0]?.trim()
        const signature = pythonSignature(
          name,
          tool.inputSchema as JsonSchema,
          tool.outputSchema as JsonSchema | undefined,
        )
        signatures.push(doc ? `${signature}  # ${doc}` : signature)
      }
    }
  } catch (error) {
    await Promise.all(opened.map((client) => client.close().catch(() => {})))
    throw error
  }
  return {
    externalFunctions,
    signatures,
    tools,
    close: async () => {
      await Promise.all(opened.map((client) => client.close().catch(() => {})))
    },
  }
}

/** A connected SDK client, by shape: an application's own copy of the SDK is one too. */
function isClient(value: unknown): value is Client {
  const candidate = value as Partial<Client> | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.callTool === 'function' &&
    typeof candidate.listTools === 'function'
  )
}

async function connectClient(config: McpServerConfig, server: string): Promise<Client> {
  const client = new Client({ name: 'pyflue-code-mode', version: '1' })
  if ('command' in config && typeof config.command === 'string') {
    await client.connect(
      new StdioClientTransport({
        command: config.command,
        ...(config.args ? { args: config.args } : {}),
        env: { ...getDefaultEnvironment(), ...config.env },
        ...(config.cwd ? { cwd: config.cwd } : {}),
        stderr: 'ignore',
      }),
    )
  } else if ('url' in config && config.url) {
    const headers = config.headers
    await client.connect(
      new StreamableHTTPClientTransport(new URL(config.url), headers ? { requestInit: { headers } } : {}),
    )
  } else {
    throw new InvalidArgumentError(
      server,
      `The MCP server ${server} needs a command (stdio) or a url (HTTP).`,
    )
  }
  return client
}

async function listAllTools(client: Client): Promise<Tool[]> {
  const all: Tool[] = []
  let cursor: string | undefined
  do {
    const page = await client.listTools(cursor ? { cursor } : {})
    all.push(...page.tools)
    cursor = page.nextCursor
  } while (cursor)
  return all
}

function toolFunction(client: Client, tool: Tool, timeout: number): ExternalFunctionDefinition {
  const input = tool.inputSchema as JsonSchema
  return {
    ...(tool.description ? { description: tool.description } : {}),
    parameters: argumentsSchema(tool.name, input),
    parameterNames: parameterOrder(input),
    returns: tool.outputSchema ? pythonType(tool.outputSchema as JsonSchema) : 'Any',
    execute: async (args: Record<string, unknown>) => {
      let result: CallToolResult
      try {
        result = (await client.callTool({ name: tool.name, arguments: dropUndefined(args) }, undefined, {
          timeout,
        })) as CallToolResult
      } catch (error) {
        throw new McpToolError({
          tool: tool.name,
          message: error instanceof Error ? error.message : String(error),
          ...(error instanceof McpError ? { rpcCode: error.code } : {}),
          cause: error,
        })
      }
      if (result.isError)
        throw new McpToolError({ tool: tool.name, message: contentText(result) || 'the tool failed' })
      if (result.structuredContent !== undefined) return result.structuredContent
      const content = result.content ?? []
      if (content.every((block) => block.type === 'text')) return contentText(result)
      return content
    },
  }
}

/**
 * A Standard Schema for a tool's arguments: an object with every required property and no
 * property the schema does not name (unless it allows additional ones). The values' types are
 * the server's to check. `jsonSchema.input()` exposes the tool's schema for signatures, with
 * `required` always present.
 */
function argumentsSchema(tool: string, schema: JsonSchema): StandardSchemaV1<Record<string, unknown>> {
  const known = new Set(Object.keys(schema.properties ?? {}))
  const closed =
    schema.additionalProperties === false || (known.size > 0 && schema.additionalProperties === undefined)
  const described: JsonSchema = { ...schema, required: schema.required ?? [] }
  const props = {
    version: 1 as const,
    vendor: 'pyflue-mcp',
    validate: (value: unknown) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return { issues: [{ message: `${tool} takes keyword arguments` }] }
      }
      const record = value as Record<string, unknown>
      const issues: StandardSchemaV1Issue[] = []
      for (const name of schema.required ?? []) {
        if (record[name] === undefined) issues.push({ message: `missing required argument '${name}'` })
      }
      if (closed) {
        for (const name of Object.keys(record)) {
          if (!known.has(name)) issues.push({ message: `unexpected keyword argument '${name}'` })
        }
      }
      return issues.length > 0 ? { issues } : { value: record }
    },
    // `required` stated even when empty: a schema without it has no required parameter, and a
    // reader that treats a missing `required` as "all of them" shows the right signature.
    jsonSchema: { input: () => described, output: () => described },
  }
  return { '~standard': props }
}

function contentText(result: CallToolResult): string {
  return (result.content ?? [])
    .filter((block) => block.type === 'text')
    .map((block) => (block as { text: string }).text)
    .join('\n')
}

function dropUndefined(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined && value !== null))
}

const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case'.split(
    ' ',
  ),
)

/** A Python identifier for a tool name: other characters become `_`; keywords get a trailing `_`. */
export function pythonName(name: string): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, '_')
  if (/^[0-9]/.test(id) || id === '') id = `_${id}`
  return PYTHON_KEYWORDS.has(id) ? `${id}_` : id
}
