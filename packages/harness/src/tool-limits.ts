/**
 * The application's bounds on what the model may ask of the file and shell tools: the `bash`
 * tool's deadline (its default, and the most a model may ask for with `timeoutMs`), the `grep`
 * deadline, the number of entries `glob` and `grep` look at and the largest file `read` and
 * `edit` read. A value the model chooses is
 * clamped to these bounds; a bound the application gives is checked here, once.
 */
import { InvalidArgumentError, refuseUnknownKeys } from '@pyflue/core'
import { DEFAULT_MAX_READ_BYTES } from './bounded-read.js'

/** Bounds of the sandbox tools, set by the application (`init({ toolLimits })` or `sandboxTools`). */
export interface SandboxToolLimits {
  /** Deadline of a `bash` command when the model gives none, in milliseconds. Default 30 000. */
  bashTimeoutMs?: number
  /** The most a model may ask for with the `bash` tool's `timeoutMs`, in milliseconds. Default 600 000 (10 minutes). */
  maxBashTimeoutMs?: number
  /** Deadline of one `grep` call in milliseconds; past it the search is stopped. Default 30 000. */
  grepTimeoutMs?: number
  /** Most entries `glob` and `grep` look at. Default 5000. */
  maxFilesScanned?: number
  /** Largest file the `read` and `edit` tools read (and `edit` writes), in bytes. Default 8 MiB. */
  maxReadBytes?: number
}

/** The keys of `SandboxToolLimits`. */
export const SANDBOX_TOOL_LIMIT_KEYS = Object.keys({
  bashTimeoutMs: true,
  maxBashTimeoutMs: true,
  grepTimeoutMs: true,
  maxFilesScanned: true,
  maxReadBytes: true,
} satisfies Record<keyof SandboxToolLimits, true>) as (keyof SandboxToolLimits)[]

/** The defaults of `SandboxToolLimits`. */
export const DEFAULT_SANDBOX_TOOL_LIMITS: Readonly<Required<SandboxToolLimits>> = Object.freeze({
  bashTimeoutMs: 30_000,
  maxBashTimeoutMs: 600_000,
  grepTimeoutMs: 30_000,
  maxFilesScanned: 5_000,
  maxReadBytes: DEFAULT_MAX_READ_BYTES,
})

/**
 * Checks the bounds an application gave (`where` names them in errors) and fills in the
 * defaults. Each must be a positive integer; `bashTimeoutMs` may not exceed `maxBashTimeoutMs`
 * (when only `bashTimeoutMs` is given above 10 minutes, it is the maximum too; when only
 * `maxBashTimeoutMs` is given below 30 s, it is the default too).
 */
export function resolveSandboxToolLimits(
  limits: SandboxToolLimits | undefined,
  where: string,
  extraKeys: readonly string[] = [],
): Required<SandboxToolLimits> {
  if (limits === undefined) return { ...DEFAULT_SANDBOX_TOOL_LIMITS }
  refuseUnknownKeys(limits, [...SANDBOX_TOOL_LIMIT_KEYS, ...extraKeys], where)
  for (const key of SANDBOX_TOOL_LIMIT_KEYS) {
    const value = limits[key]
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new InvalidArgumentError(
        `${where}.${key}`,
        `${key} must be a positive integer (got ${String(value)}).`,
      )
    }
  }
  const bashTimeoutMs =
    limits.bashTimeoutMs ??
    Math.min(DEFAULT_SANDBOX_TOOL_LIMITS.bashTimeoutMs, limits.maxBashTimeoutMs ?? Number.POSITIVE_INFINITY)
  const maxBashTimeoutMs =
    limits.maxBashTimeoutMs ?? Math.max(DEFAULT_SANDBOX_TOOL_LIMITS.maxBashTimeoutMs, bashTimeoutMs)
  if (bashTimeoutMs > maxBashTimeoutMs) {
    throw new InvalidArgumentError(
      `${where}.bashTimeoutMs`,
      `bashTimeoutMs (${bashTimeoutMs}) may not exceed maxBashTimeoutMs (${maxBashTimeoutMs}).`,
    )
  }
  return {
    bashTimeoutMs,
    maxBashTimeoutMs,
    grepTimeoutMs: limits.grepTimeoutMs ?? DEFAULT_SANDBOX_TOOL_LIMITS.grepTimeoutMs,
    maxFilesScanned: limits.maxFilesScanned ?? DEFAULT_SANDBOX_TOOL_LIMITS.maxFilesScanned,
    maxReadBytes: limits.maxReadBytes ?? DEFAULT_SANDBOX_TOOL_LIMITS.maxReadBytes,
  }
}

/** A model-chosen number clamped to `[1, max]`, its default when absent. */
export function clampModelChoice(given: number | undefined, fallback: number, max: number): number {
  if (given === undefined || !Number.isFinite(given)) return fallback
  return Math.min(Math.max(1, Math.floor(given)), max)
}
