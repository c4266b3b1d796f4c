/**
 * Python type annotations and signatures from JSON Schema, for tools shown to a model as Python
 * functions (MCP tools, LangChain tools, schema-declared external functions):
 * `def search(query: str, limit: int | None = None) -> dict[str, Any]`.
 * - Required parameters come first, in the schema's property order; the optional ones follow,
 *   each with a `None` default.
 * - A schema without `required` has no required parameter (JSON Schema's own rule).
 * - What cannot be said in Python's annotations (nested deeper than four levels, a `not`, a
 *   tuple-form `items`) is `Any`.
 */

/** The part of JSON Schema read here. */
export interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  items?: JsonSchema | JsonSchema[]
  properties?: Record<string, JsonSchema>
  additionalProperties?: boolean | JsonSchema
  required?: string[]
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  description?: string
  default?: unknown
}

const SCALARS: Readonly<Record<string, string>> = {
  string: 'str',
  integer: 'int',
  number: 'float',
  boolean: 'bool',
  null: 'None',
}

/** The Python annotation of a schema: `str`, `int | None`, `list[str]`, `Literal['a', 'b']`, `Any`. */
export function pythonType(schema: JsonSchema | boolean | undefined, depth = 0): string {
  if (typeof schema !== 'object' || schema === null || depth > 4) return 'Any'
  if (schema.enum && schema.enum.length > 0 && schema.enum.every(isLiteral)) {
    return `Literal[${schema.enum.map(pythonLiteral).join(', ')}]`
  }
  if (schema.const !== undefined && isLiteral(schema.const)) return `Literal[${pythonLiteral(schema.const)}]`
  const union = schema.anyOf ?? schema.oneOf
  if (union && union.length > 0) return unique(union.map((s) => pythonType(s, depth + 1)))
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []
  if (types.length === 0) return schema.properties ? 'dict[str, Any]' : 'Any'
  return unique(
    types.map((type) => {
      if (type === 'array') {
        const items = Array.isArray(schema.items) ? undefined : schema.items
        return `list[${pythonType(items, depth + 1)}]`
      }
      if (type === 'object') {
        const values =
          typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined
        return `dict[str, ${values ? pythonType(values, depth + 1) : 'Any'}]`
      }
      return SCALARS[type] ?? 'Any'
    }),
  )
}

/** Parameter names in positional order: required ones first, then optional ones, each in property order. */
export function parameterOrder(schema: JsonSchema): string[] {
  const names = Object.keys(schema.properties ?? {})
  const required = new Set(schema.required ?? [])
  return [...names.filter((n) => required.has(n)), ...names.filter((n) => !required.has(n))]
}

/** `def name(a: str, b: int | None = None) -> dict[str, Any]` for a tool's input and output schemas. */
export function pythonSignature(name: string, input: JsonSchema, output?: JsonSchema): string {
  const required = new Set(input.required ?? [])
  const params = parameterOrder(input).map((param) => {
    const type = pythonType(input.properties?.[param])
    if (required.has(param)) return `${param}: ${type}`
    return `${param}: ${type === 'Any' || type.split(' | ').includes('None') ? type : `${type} | None`} = None`
  })
  return `def ${name}(${params.join(', ')}) -> ${output ? pythonType(output) : 'Any'}`
}

function isLiteral(value: unknown): boolean {
  return (
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null
  )
}

function pythonLiteral(value: unknown): string {
  if (value === null) return 'None'
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
  return String(value)
}

function unique(types: string[]): string {
  const set = [...new Set(types)]
  return set.includes('Any') ? 'Any' : set.join(' | ')
}
