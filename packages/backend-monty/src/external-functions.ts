import type {
  ExternalFunction,
  ExternalFunctionDefinition,
  ExternalFunctions,
  StandardSchemaV1Issue,
  StandardSchemaV1Result,
} from '@pyflue/core'
import { InvalidArgumentError, isStandardSchema, type JsonSchema, pythonType } from '@pyflue/core'
import { isUsablePythonName } from './python-names.js'

/** One external function of a run, ready to call. */
export interface PreparedExternal {
  /** The Python name. */
  readonly name: string
  readonly kind: 'plain' | 'async' | 'schema'
  readonly fn?: ExternalFunction
  readonly definition?: ExternalFunctionDefinition<any>
  /**
   * A schema-declared function with an async `execute` that the run's code awaits: its Python
   * wrapper is then an `async def`, awaited like a plain async function.
   */
  readonly awaitable?: boolean
}

/** The name of the raw call a wrapper makes; the engine answers it on the host. */
export const RAW_EXTERNAL_PREFIX = '__pf_x_'
/**
 * The raw call a wrapper makes once Python checked the arguments' types exactly
 * (`__pf_check_args`): the host then takes every string argument as the string it is.
 */
export const RAW_CHECKED_PREFIX = '__pf_xc_'
/**
 * The message of the `LookupError` the host raises into a wrapper when an argument is a string
 * that reads like the text Monty gives a non-data value (a function, a module, a cycle): the
 * wrapper then checks the types in Python and calls again through `RAW_CHECKED_PREFIX`.
 */
export const RECHECK_MESSAGE = '__pf_recheck__'

/** Python exception types Monty accepts when the host raises one into Python. */
export const PYTHON_EXCEPTION_TYPES = new Set([
  'Exception',
  'ValueError',
  'TypeError',
  'KeyError',
  'IndexError',
  'RuntimeError',
  'LookupError',
  'OSError',
  'PermissionError',
  'FileNotFoundError',
  'TimeoutError',
  'AttributeError',
  'NotImplementedError',
  'ZeroDivisionError',
  'AssertionError',
  'ArithmeticError',
  'OverflowError',
  'NameError',
])

/** Checks and classifies the `externalFunctions` option. */
export function prepareExternals(functions: ExternalFunctions | undefined): Map<string, PreparedExternal> {
  const prepared = new Map<string, PreparedExternal>()
  if (functions === undefined) return prepared
  if (typeof functions !== 'object' || functions === null) {
    throw new InvalidArgumentError('externalFunctions', 'externalFunctions must be an object of functions.')
  }
  for (const [name, value] of Object.entries(functions)) {
    if (!isUsablePythonName(name)) {
      throw new InvalidArgumentError('externalFunctions', `'${name}' is not a usable Python function name.`)
    }
    if (typeof value === 'function') {
      prepared.set(name, { name, kind: isAsyncFunction(value) ? 'async' : 'plain', fn: value })
    } else if (
      typeof value === 'object' &&
      value !== null &&
      isStandardSchema(value.parameters) &&
      typeof value.execute === 'function'
    ) {
      prepared.set(name, { name, kind: 'schema', definition: value })
    } else {
      throw new InvalidArgumentError(
        'externalFunctions',
        `externalFunctions.${name} must be a function or { parameters: <Standard Schema>, execute }.`,
      )
    }
  }
  return prepared
}

/** True when the external is an `async def` in Python. */
export function isCoroutineFunction(external: PreparedExternal): boolean {
  return external.kind === 'async' || external.awaitable === true
}

/** True for a schema-declared function whose `execute` is an async function. */
export function hasAsyncExecute(external: PreparedExternal): boolean {
  return external.kind === 'schema' && isAsyncFunction(external.definition!.execute as ExternalFunction)
}

function isAsyncFunction(fn: ExternalFunction): boolean {
  return (fn as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'AsyncFunction'
}

/** The Python `def` that makes an external a real Python function (a coroutine function for `async` ones). */
export function wrapperSource(external: PreparedExternal): string {
  const prefix = isCoroutineFunction(external) ? 'async def' : 'def'
  const name = external.name
  return [
    `${prefix} ${name}(*args, **kwargs):`,
    '    try:',
    `        return ${RAW_EXTERNAL_PREFIX}${name}(*args, **kwargs)`,
    '    except __pf_LookupError as __pf_e:',
    `        if __pf_str(__pf_e) != '${RECHECK_MESSAGE}':`,
    '            raise',
    '    __pf_check_args(args, kwargs)',
    `    return ${RAW_CHECKED_PREFIX}${name}(*args, **kwargs)`,
    '',
  ].join('\n')
}

/** A Python exception the host raises into the snippet. */
export class PythonRaise {
  constructor(
    readonly type: string,
    readonly message: string,
  ) {}
}

/** Turns any thrown value into a Python exception type and message. */
export function toPythonRaise(thrown: unknown): PythonRaise {
  if (thrown instanceof PythonRaise) return thrown
  if (thrown instanceof Error) {
    const type = PYTHON_EXCEPTION_TYPES.has(thrown.name)
      ? thrown.name
      : thrown.name === 'RangeError'
        ? 'ValueError'
        : 'RuntimeError'
    return new PythonRaise(type, thrown.message || thrown.name)
  }
  if (typeof thrown === 'string') return new PythonRaise('RuntimeError', thrown)
  let message: string
  try {
    message = JSON.stringify(thrown) ?? String(thrown)
  } catch {
    message = String(thrown)
  }
  return new PythonRaise('RuntimeError', message)
}

/** Parameter names of a schema-declared function, in positional order. */
export function parameterNamesOf(definition: ExternalFunctionDefinition<any>): string[] {
  if (definition.parameterNames) return [...definition.parameterNames]
  const shape = (definition.parameters as { shape?: unknown }).shape
  if (typeof shape === 'object' && shape !== null) return Object.keys(shape)
  const schema = jsonSchemaOf(definition)
  if (schema?.properties) return Object.keys(schema.properties)
  return []
}

interface JsonSchemaObject {
  properties?: Record<string, { type?: string | string[]; items?: unknown }>
  required?: string[]
}

function jsonSchemaOf(definition: ExternalFunctionDefinition<any>): JsonSchemaObject | undefined {
  const standard = definition.parameters['~standard'] as {
    jsonSchema?: { input?: (options: { target: string }) => unknown }
  }
  try {
    const schema = standard.jsonSchema?.input?.({ target: 'draft-2020-12' })
    return typeof schema === 'object' && schema !== null ? (schema as JsonSchemaObject) : undefined
  } catch {
    return undefined
  }
}

/** Calls an external with JS-form arguments; a schema-declared one gets its arguments validated. */
export async function callExternal(
  external: PreparedExternal,
  args: unknown[],
  kwargs: Record<string, unknown>,
): Promise<unknown> {
  const hasKwargs = Object.keys(kwargs).length > 0
  if (external.kind !== 'schema') return external.fn!(...args, ...(hasKwargs ? [kwargs] : []))
  const definition = external.definition!
  const names = parameterNamesOf(definition)
  if (args.length > names.length) {
    throw new PythonRaise(
      'TypeError',
      `${external.name}() takes ${names.length} positional argument${names.length === 1 ? '' : 's'} but ${args.length} were given`,
    )
  }
  const bound: Record<string, unknown> = {}
  args.forEach((arg, index) => {
    bound[names[index]!] = arg
  })
  for (const [key, value] of Object.entries(kwargs)) {
    if (Object.hasOwn(bound, key)) {
      throw new PythonRaise('TypeError', `${external.name}() got multiple values for argument '${key}'`)
    }
    bound[key] = value
  }
  const outcome = (await definition.parameters['~standard'].validate(
    bound,
  )) as StandardSchemaV1Result<unknown>
  if (outcome.issues) {
    const detail = outcome.issues
      .map((issue: StandardSchemaV1Issue) => {
        const path = issue.path?.map((s) => (typeof s === 'object' ? String(s.key) : String(s))).join('.')
        return path ? `${path}: ${issue.message}` : issue.message
      })
      .join('; ')
    throw new PythonRaise('TypeError', `${external.name}() got invalid arguments: ${detail}`)
  }
  return definition.execute(outcome.value)
}

/**
 * The Python signature line of an external, e.g. `def double(value: int) -> int`. A schema-declared
 * one takes its annotations from the schema's JSON Schema (`pythonType` of core); its required
 * parameters are the schema's `required` (none when the schema says none), or every parameter
 * when the validator has no JSON Schema to say.
 */
export function pythonSignature(external: PreparedExternal): string {
  if (external.kind !== 'schema') {
    return `${external.kind === 'async' ? 'async def' : 'def'} ${external.name}(*args: Any, **kwargs: Any) -> Any`
  }
  const definition = external.definition!
  const schema = jsonSchemaOf(definition)
  const names = parameterNamesOf(definition)
  const required = new Set(schema ? (schema.required ?? []) : names)
  const params = names.map((name) => {
    const type = pythonType(schema?.properties?.[name] as JsonSchema | undefined)
    if (required.has(name)) return `${name}: ${type}`
    return `${name}: ${type === 'Any' || type.split(' | ').includes('None') ? type : `${type} | None`} = None`
  })
  const ordered = [...params.filter((p) => !p.includes('=')), ...params.filter((p) => p.includes('='))]
  return `${external.awaitable ? 'async def' : 'def'} ${external.name}(${ordered.join(', ')}) -> ${definition.returns ?? 'Any'}`
}

/** A stub of the external for the type checker: its signature and a body that is not `...`. */
export function typeStub(external: PreparedExternal): string {
  const doc = external.definition?.description
  const docLine = doc ? `    ${JSON.stringify(doc)}\n` : ''
  return `${pythonSignature(external)}:\n${docLine}    raise NotImplementedError\n`
}
