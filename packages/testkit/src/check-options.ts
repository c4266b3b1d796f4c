/** The checks every testkit entry point runs on its options before registering any test. */
import { InvalidArgumentError, refuseUnknownKeys } from '@pyflue/core'

/** Refuses unknown keys (naming the closest known one) and a `timeoutMs` that is not a positive number. */
export function checkSuiteOptions(options: unknown, known: readonly string[], where: string): void {
  refuseUnknownKeys(options, known, where)
  const timeoutMs = (options as { timeoutMs?: unknown } | undefined)?.timeoutMs
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) {
    throw new InvalidArgumentError(
      `${where}.timeoutMs`,
      `${where}.timeoutMs must be a positive number of milliseconds.`,
    )
  }
}
