/**
 * The one domain of `ExecOptions.timeoutMs`, shared by every sandbox: a non-negative number of
 * milliseconds, where `0` and `Infinity` both mean "no deadline" (as `undefined` does).
 */
import { InvalidArgumentError } from './errors/pyflue-error.js'

/**
 * Checks `timeoutMs` and returns the deadline it sets in milliseconds, or `undefined` for none
 * (absent, `0` or `Infinity`). Throws `InvalidArgumentError` (`argument: 'timeoutMs'`) for a
 * negative number, `NaN` or a non-number.
 */
export function deadlineOf(timeoutMs: unknown): number | undefined {
  if (timeoutMs === undefined) return undefined
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new InvalidArgumentError(
      'timeoutMs',
      'timeoutMs must be a non-negative number of milliseconds (0 or Infinity: no deadline).',
    )
  }
  return timeoutMs === 0 || timeoutMs === Number.POSITIVE_INFINITY ? undefined : timeoutMs
}
