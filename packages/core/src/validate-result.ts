import { ResultValidationError } from './errors/configuration-errors.js'
import { InvalidArgumentError } from './errors/pyflue-error.js'
import { type InferSchemaOutput, isStandardSchema, type StandardSchemaV1 } from './standard-schema.js'

/**
 * Validates `value` with any Standard Schema validator, synchronous or asynchronous.
 * Resolves with the validator's output (which may differ from `value`, e.g. after coercion);
 * rejects with `ResultValidationError` carrying the validator's issues unchanged.
 */
export async function validateWithSchema<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
): Promise<InferSchemaOutput<S>> {
  if (!isStandardSchema(schema)) {
    throw new InvalidArgumentError(
      'result',
      'The result option must be a Standard Schema validator (zod, valibot, arktype, …).',
    )
  }
  const outcome = await schema['~standard'].validate(value)
  if (outcome.issues) throw new ResultValidationError(outcome.issues, value)
  return outcome.value as InferSchemaOutput<S>
}
