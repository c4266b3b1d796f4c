import {
  type ExternalFunctionDefinition,
  type ExternalFunctions,
  InvalidArgumentError,
  isStandardSchema,
  raceAbort,
  type StandardSchemaV1,
} from '@pyflue/core'
import type { Tool, ToolSet } from 'ai'

/** The names the harness gives its own tools; application tools may not take them. */
export const BUILT_IN_TOOL_NAMES: readonly string[] = [
  'run_code',
  'read',
  'write',
  'edit',
  'glob',
  'grep',
  'bash',
]

const PYTHON_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Checks the application's tools: a `ToolSet` whose names do not clash with the built-in tools. */
export function checkApplicationTools(tools: ToolSet | undefined): ToolSet {
  if (tools === undefined) return {}
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools)) {
    throw new InvalidArgumentError('tools', 'tools must be an object of AI SDK tools keyed by name.')
  }
  for (const [name, value] of Object.entries(tools)) {
    if (BUILT_IN_TOOL_NAMES.includes(name)) {
      throw new InvalidArgumentError(
        'tools',
        `The tool name '${name}' is taken by a built-in tool (${BUILT_IN_TOOL_NAMES.join(', ')}); rename your tool.`,
      )
    }
    if (typeof value !== 'object' || value === null || !('inputSchema' in value)) {
      throw new InvalidArgumentError(
        'tools',
        `tools.${name} is not an AI SDK tool (made with tool() from 'ai').`,
      )
    }
  }
  return tools
}

/** An application tool that Python called from inside `run_code`: its call, then its result or error. */
export type PythonToolEvent =
  | { type: 'python-tool-call'; callId: string; toolName: string; input: unknown }
  | { type: 'python-tool-result'; callId: string; toolName: string; input: unknown; output: unknown }
  | { type: 'python-tool-error'; callId: string; toolName: string; input: unknown; error: unknown }

/**
 * The application tools Python can call inside `run_code`: every tool with an `execute`
 * function and a name that is a Python identifier. Each becomes an `ExternalFunctionDefinition`
 * with the tool's description and input schema, so the backend validates the arguments and
 * can show a Python signature. The tool runs with the run's abort signal.
 */
export function applicationToolsAsExternalFunctions(
  tools: ToolSet,
  context: { signal?: AbortSignal; toolCallIdPrefix: string; onEvent?: (event: PythonToolEvent) => void },
): ExternalFunctions {
  const functions: ExternalFunctions = {}
  let calls = 0
  for (const [name, candidate] of Object.entries(tools)) {
    const tool = candidate as Tool
    const execute = tool.execute
    if (typeof execute !== 'function' || !PYTHON_IDENTIFIER.test(name)) continue
    const { schema, parameterNames } = toStandardSchema(tool.inputSchema)
    const definition: ExternalFunctionDefinition = {
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: schema,
      ...(parameterNames ? { parameterNames } : {}),
      execute: async (args) => {
        calls += 1
        const toolCallId = `${context.toolCallIdPrefix}:${name}:${calls}`
        context.onEvent?.({ type: 'python-tool-call', callId: toolCallId, toolName: name, input: args })
        try {
          const output = execute(args, {
            toolCallId,
            messages: [],
            ...(context.signal ? { abortSignal: context.signal } : {}),
          })
          const value = await raceAbort(Promise.resolve(collectOutput(output)), context.signal)
          context.onEvent?.({
            type: 'python-tool-result',
            callId: toolCallId,
            toolName: name,
            input: args,
            output: value,
          })
          return value
        } catch (error) {
          context.onEvent?.({
            type: 'python-tool-error',
            callId: toolCallId,
            toolName: name,
            input: args,
            error,
          })
          throw error
        }
      },
    }
    functions[name] = definition
  }
  return functions
}

/** A tool's `execute` may return a value, a promise or an async iterable of partial outputs; Python gets the last. */
async function collectOutput(output: unknown): Promise<unknown> {
  const awaited = await output
  if (awaited !== null && typeof awaited === 'object' && Symbol.asyncIterator in awaited) {
    let last: unknown
    for await (const part of awaited as AsyncIterable<unknown>) last = part
    return last
  }
  return awaited
}

/**
 * The tool's input schema as a Standard Schema. zod and valibot schemas already are one; an AI
 * SDK `jsonSchema()` becomes one that checks the value is an object (its own `validate`, when
 * present, runs too), with parameter names from the JSON schema's `properties`.
 */
function toStandardSchema(inputSchema: unknown): { schema: StandardSchemaV1; parameterNames?: string[] } {
  if (isStandardSchema(inputSchema)) return { schema: inputSchema }
  const json = (inputSchema as { jsonSchema?: unknown } | null)?.jsonSchema as
    | { properties?: Record<string, unknown> }
    | undefined
  const validate = (inputSchema as { validate?: unknown } | null)?.validate
  const parameterNames = json?.properties ? Object.keys(json.properties) : []
  const schema: StandardSchemaV1 = {
    '~standard': {
      version: 1,
      vendor: 'pyflue-json-schema',
      validate: async (value) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          return { issues: [{ message: 'Expected keyword arguments.' }] }
        }
        if (typeof validate === 'function') {
          const outcome = (await validate(value)) as { success: boolean; value?: unknown; error?: Error }
          if (!outcome.success)
            return { issues: [{ message: outcome.error?.message ?? 'Invalid arguments.' }] }
          return { value: outcome.value }
        }
        return { value }
      },
    },
  }
  return { schema, parameterNames }
}
