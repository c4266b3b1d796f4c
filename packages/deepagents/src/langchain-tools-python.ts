// Programmatic tool calling: the LangChain tools an agent has, callable from Python inside
// `run_code` as functions of the same name. Each tool becomes a schema-declared external
// function (keyword arguments, or positional ones in the order `parameterOrder` gives) whose
// Python signature comes from the tool's JSON Schema; the tool itself validates the arguments,
// so a bad call raises in Python with the tool's message and the model can fix its code.
import type { RunnableConfig } from '@langchain/core/runnables'
import type { ClientTool, ServerTool, StructuredToolInterface } from '@langchain/core/tools'
import { toJsonSchema } from '@langchain/core/utils/json_schema'
import type { ExternalFunctionDefinition, ExternalFunctions, StandardSchemaV1 } from '@pyflue/core'
import { type JsonSchema, parameterOrder, pythonSignature } from '@pyflue/core'

const PYTHON_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Names Python cannot take over: the tools Deep Agents adds itself and `run_code`. */
export const RESERVED_TOOL_NAMES: ReadonlySet<string> = new Set([
  'run_code',
  'ls',
  'read_file',
  'write_file',
  'edit_file',
  'glob',
  'grep',
  'execute',
  'task',
  'write_todos',
])

/** The tools as Python functions, and their signatures for the `run_code` description. */
export interface LangChainToolsAsPython {
  readonly externalFunctions: ExternalFunctions
  /** `def name(...) -> Any  # first line of the description`, one per function. */
  readonly signatures: readonly string[]
}

/** A LangChain tool Python can call: it has a name, a schema and `invoke`. */
function isCallableTool(tool: ClientTool | ServerTool): tool is StructuredToolInterface {
  const candidate = tool as Partial<StructuredToolInterface>
  return (
    typeof candidate.name === 'string' &&
    typeof candidate.invoke === 'function' &&
    typeof candidate.schema === 'object' &&
    candidate.schema !== null
  )
}

/**
 * Every tool with a Python-identifier name that is not reserved becomes a function. `config`
 * gives the call's LangChain config (callbacks, thread, abort signal); the tool is invoked with
 * it minus the `run_code` call's own tool-call id, so it returns its plain output.
 */
export function langchainToolsAsPython(
  tools: readonly (ClientTool | ServerTool)[],
  config: () => RunnableConfig | undefined,
): LangChainToolsAsPython {
  const externalFunctions: ExternalFunctions = {}
  const signatures: string[] = []
  for (const tool of tools) {
    if (!isCallableTool(tool) || !PYTHON_IDENTIFIER.test(tool.name) || RESERVED_TOOL_NAMES.has(tool.name)) {
      continue
    }
    const schema = jsonSchemaOf(tool)
    const definition: ExternalFunctionDefinition = {
      ...(tool.description ? { description: tool.description } : {}),
      parameters: KEYWORD_ARGUMENTS,
      parameterNames: parameterOrder(schema),
      execute: async (args: Record<string, unknown>) => {
        const {
          toolCall: _ownCall,
          runId: _runId,
          runName: _runName,
          ...inherited
        } = (config() ?? {}) as RunnableConfig & { toolCall?: unknown }
        return tool.invoke(dropUndefined(args), inherited)
      },
    }
    externalFunctions[tool.name] = definition
    const doc = tool.description?.split('\n')[0]?.trim()
    const signature = pythonSignature(tool.name, schema)
    signatures.push(doc ? `${signature}  # ${doc}` : signature)
  }
  return { externalFunctions, signatures }
}

/** The tool's input as JSON Schema (zod v3/v4 and JSON Schema alike); an unreadable schema is `{}`. */
function jsonSchemaOf(tool: StructuredToolInterface): JsonSchema {
  try {
    return toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0]) as JsonSchema
  } catch {
    return {}
  }
}

/** Accepts any keyword arguments: the tool validates them itself when invoked. */
const KEYWORD_ARGUMENTS: StandardSchemaV1<Record<string, unknown>> = {
  '~standard': {
    version: 1,
    vendor: 'pyflue-langchain-tool',
    validate: (value) =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? { value: value as Record<string, unknown> }
        : { issues: [{ message: 'Expected keyword arguments.' }] },
  },
}

/** Optional parameters Python left out arrive as `undefined`; the tool's schema should not see them. */
function dropUndefined(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined))
}
