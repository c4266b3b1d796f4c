/**
 * Checking `ResourceLimits` where they are received (init, a session, a run), so a typo or a
 * negative limit is an `InvalidArgumentError` at that call and not a failure later in a run.
 */
import { InvalidArgumentError } from './errors/pyflue-error.js'
import { refuseUnknownKeys } from './option-keys.js'
import type { ResourceLimits } from './python-backend.js'

/** The keys of `ResourceLimits`. */
export const RESOURCE_LIMIT_KEYS = [
  'maxDurationSecs',
  'maxMemory',
  'maxAllocations',
  'maxRecursionDepth',
] as const

/**
 * Throws `InvalidArgumentError` unless `limits` is `undefined` or a `ResourceLimits` object:
 * - an unknown key is refused, naming the closest known one (`timeout` → the list of known keys);
 * - `maxDurationSecs` must be a finite number greater than 0;
 * - `maxMemory`, `maxAllocations` and `maxRecursionDepth` must be positive integers;
 * - a key whose value is `undefined` is accepted (the backend's default applies).
 * `where` names the object in the message and in `error.argument` (e.g. `'init options.resourceLimits'`).
 */
export function checkResourceLimits(
  limits: unknown,
  where: string,
): asserts limits is ResourceLimits | undefined {
  refuseUnknownKeys(limits, RESOURCE_LIMIT_KEYS, where)
  if (limits === undefined || limits === null) return
  const values = limits as Record<string, unknown>
  const duration = values.maxDurationSecs
  if (
    duration !== undefined &&
    (typeof duration !== 'number' || !Number.isFinite(duration) || duration <= 0)
  ) {
    throw new InvalidArgumentError(
      `${where}.maxDurationSecs`,
      `${where}.maxDurationSecs must be a finite number of seconds greater than 0 (got ${String(duration)}).`,
    )
  }
  for (const key of ['maxMemory', 'maxAllocations', 'maxRecursionDepth'] as const) {
    const value = values[key]
    if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < 1)) {
      throw new InvalidArgumentError(
        `${where}.${key}`,
        `${where}.${key} must be a positive integer (got ${String(value)}).`,
      )
    }
  }
}
