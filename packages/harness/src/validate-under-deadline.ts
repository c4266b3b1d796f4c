/**
 * Validation of a `session.runPython` result under the run's deadline and signal: a Standard
 * Schema whose `validate()` never settles (or settles late) must not hold the session, so the
 * validation is raced against the time left of the run's `maxDurationSecs` and against the
 * run's abort signal. A validator that blocks the thread synchronously cannot be stopped this
 * way (nothing in JavaScript can); one that returns a promise can.
 */
import {
  type InferSchemaOutput,
  InvalidArgumentError,
  isStandardSchema,
  ResourceLimitError,
  raceAbort,
  type StandardSchemaV1,
  validateWithSchema,
} from '@pyflue/core'

/** The deadline a run and its result validation share when no `maxDurationSecs` is given (Monty's default). */
export const DEFAULT_RUN_DURATION_SECS = 5

/** Refuses a `result` option that is not a Standard Schema, before anything runs. */
export function checkResultSchema(schema: unknown): void {
  if (schema !== undefined && !isStandardSchema(schema)) {
    throw new InvalidArgumentError(
      'result',
      'The result option must be a Standard Schema validator (zod, valibot, arktype, …).',
    )
  }
}

/**
 * Validates `value` with `schema`; rejects with `ResourceLimitError` (limit `maxDurationSecs`)
 * when the validation is still pending at `deadlineMs` (a `Date.now()` time), with the abort
 * error when `signal` aborts first, and with `ResultValidationError` when the value fails.
 */
export async function validateUnderDeadline<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  options: { signal: AbortSignal; deadlineMs: number; maxDurationSecs: number },
): Promise<InferSchemaOutput<S>> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ResourceLimitError({
            limit: 'maxDurationSecs',
            value: options.maxDurationSecs,
            message: `The result's schema validation did not finish within the run's maxDurationSecs (${options.maxDurationSecs}); the run's changes are kept.`,
          }),
        ),
      Math.max(0, options.deadlineMs - Date.now()),
    )
  })
  try {
    return await raceAbort(Promise.race([validateWithSchema(schema, value), late]), options.signal)
  } finally {
    clearTimeout(timer)
  }
}
