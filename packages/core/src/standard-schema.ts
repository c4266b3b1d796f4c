/**
 * The structural shape of a Standard Schema v1 validator (https://standardschema.dev).
 *
 * zod (3.24+ and 4), valibot (1+), arktype (2+) and any other library that implements the
 * Standard Schema specification satisfy this type. PyFlue never imports a validation library:
 * it only calls `schema['~standard'].validate(value)`.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1Props<Input, Output>
}

/** The properties every Standard Schema carries under its `~standard` key. */
export interface StandardSchemaV1Props<Input = unknown, Output = Input> {
  /** Always `1` for this version of the specification. */
  readonly version: 1
  /** The library that made the schema, e.g. `'zod'`. */
  readonly vendor: string
  /** Validates a value; may return a promise for asynchronous validators. */
  readonly validate: (
    value: unknown,
  ) => StandardSchemaV1Result<Output> | Promise<StandardSchemaV1Result<Output>>
  /** Type-level carrier of the input and output types; never read at run time. */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined
}

/** A validation outcome: `{ value }` on success, `{ issues }` on failure. */
export type StandardSchemaV1Result<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaV1Issue> }

/** One problem a validator found. */
export interface StandardSchemaV1Issue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
}

/** The output type of a schema (what `validate` returns on success). */
export type InferSchemaOutput<S> = S extends StandardSchemaV1<any, infer O> ? O : unknown

/** The input type of a schema. */
export type InferSchemaInput<S> = S extends StandardSchemaV1<infer I, any> ? I : unknown

/** True when `value` looks like a Standard Schema v1 validator. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false
  const props = (value as Record<string, unknown>)['~standard'] as Record<string, unknown> | undefined
  return (
    typeof props === 'object' && props !== null && props.version === 1 && typeof props.validate === 'function'
  )
}
