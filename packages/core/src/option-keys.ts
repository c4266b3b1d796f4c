/**
 * Refusing unknown option keys. Every options object the public API takes goes through
 * `refuseUnknownKeys`, so a typo (`input` for `inputs`) is an `InvalidArgumentError` at the call
 * that received it, naming the key and the closest known one, instead of being ignored.
 */
import { InvalidArgumentError } from './errors/pyflue-error.js'

/**
 * Throws `InvalidArgumentError` when `options` has an own enumerable key not in `known`.
 * - `where` names the options object in the message and in `error.argument` (e.g. `'init options'`
 *   gives `argument: 'init options.input'`).
 * - The message names the refused key and, when one is close (see `closestKey`), the closest
 *   known key: "did you mean `inputs`?".
 * - `undefined` and `null` options are accepted (nothing to check); a non-object is refused.
 * - Keys whose value is `undefined` are still refused when unknown: a typo is a typo.
 */
export function refuseUnknownKeys(options: unknown, known: readonly string[], where: string): void {
  if (options === undefined || options === null) return
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(where, `${where} must be an object.`)
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const suggestion = closestKey(key, known)
    const hint = suggestion === undefined ? '' : ` Did you mean \`${suggestion}\`?`
    throw new InvalidArgumentError(
      `${where}.${key}`,
      `Unknown option \`${key}\` in ${where}.${hint} Known options: ${known.join(', ')}.`,
    )
  }
}

/**
 * The known key nearest to `key`, when it is near enough to be a typo: a known key that starts
 * with `key` or that `key` starts with (at least 3 characters, case-insensitive; `maxDuration` →
 * `maxDurationSecs`), else the one with the least edit distance within a third of the key's length.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase()
  if (lower.length >= 3) {
    const prefixed = known.find((candidate) => {
      const other = candidate.toLowerCase()
      return other.startsWith(lower) || (other.length >= 3 && lower.startsWith(other))
    })
    if (prefixed !== undefined) return prefixed
  }
  const budget = Math.max(1, Math.floor(key.length / 3))
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return bestDistance <= budget ? best : undefined
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Math.abs(a.length - b.length)
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution)
    }
    previous = current
  }
  return previous[b.length] as number
}

/**
 * The value of an option that was renamed: `options[name]`, else the deprecated `options[alias]`.
 * Throws `InvalidArgumentError` (`argument: name`) when both are given, even with equal values,
 * so a caller never wonders which one won.
 */
export function optionWithAlias<T extends object, K extends keyof T, A extends keyof T>(
  options: T,
  name: K,
  alias: A,
): T[K] | T[A] | undefined {
  const value = options[name]
  const old = options[alias]
  if (value !== undefined && old !== undefined) {
    throw new InvalidArgumentError(
      String(name),
      `Pass \`${String(name)}\` only: \`${String(alias)}\` is its deprecated old name, and both were given.`,
    )
  }
  return value !== undefined ? value : old
}
