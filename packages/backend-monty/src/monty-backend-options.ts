/**
 * The options of a Monty backend (`MontyBackendOptions`), their defaults, and their checks: the
 * execution mode (`checkExecution`), the accepted keys, and the backend's own telemetry.
 */
import {
  type HostDirectoryMount,
  InvalidArgumentError,
  type ResourceLimits,
  type Sandbox,
  type Telemetry,
  type TelemetrySetting,
  telemetryFrom,
} from '@pyflue/core'
import type { MontyPool } from './monty-pool.js'

/** Limits a run gets when the caller gives none. */
export const DEFAULT_RESOURCE_LIMITS: Readonly<
  Required<Pick<ResourceLimits, 'maxDurationSecs' | 'maxMemory'>>
> = Object.freeze({ maxDurationSecs: 5, maxMemory: 256 * 1024 * 1024 })

/** Default cap on captured `print` output per run. */
export const DEFAULT_MAX_STDOUT_BYTES = 1_000_000

/** Default cap on the bytes one run may write through a read-write mount (64 MiB). */
export const DEFAULT_MAX_WRITE_BYTES_PER_RUN = 64 * 1024 * 1024

/** Options of `createMontyBackend` and `montyBackend`. */
export interface MontyBackendOptions {
  /** A sandbox whose `hostMounts()` are mounted into Python (read-only when the mount says so). */
  sandbox?: Sandbox
  /** Host directories to mount, in addition to the sandbox's. */
  mounts?: readonly HostDirectoryMount[]
  /** Limits for runs that do not set them; merged over the defaults (5 s, 256 MB). */
  defaultLimits?: ResourceLimits
  /** Cap on captured `print` output per run, in bytes. Defaults to 1 000 000. */
  maxStdoutBytes?: number
  /**
   * Cap on the bytes one run may write through each read-write mount; a write past it is a
   * Python `OSError` the snippet can catch, and nothing of it is written. A mount's own
   * `writeBytesLimit` (a sandbox's remaining size budget) lowers it. Defaults to 64 MiB.
   */
  maxWriteBytesPerRun?: number
  /** The file name in tracebacks when a run does not name one. Defaults to `'<snippet>'`. */
  scriptName?: string
  /**
   * `'pool'` (default): every run executes in a pool process, off the calling thread, so a busy
   * snippet never stalls the host and an abort or the deadline kills it at once.
   * `'in-thread-trusted-code-only'`: every run executes on the calling thread (lowest latency),
   * for code you trust only: an abort then takes effect before the run and at its pauses
   * (external calls, name lookups), a busy loop blocks the thread until `maxDurationSecs`, native
   * operations ignore that limit, and a native crash (e.g. `json.dumps` of a 100 000-deep list)
   * takes the host process down. The old name `'in-thread'` is refused.
   */
  execution?: 'pool' | 'in-thread-trusted-code-only'
  /** The pool for `execution: 'pool'`. Default: the process-wide `sharedMontyPool()`. */
  pool?: MontyPool
  /**
   * Most values (nodes) one conversion across the boundary may hold: a run's inputs, its result
   * and changed variables, one external call's arguments, one external return. A part shared by
   * several references counts once per reference (Python copies it so). Default 1 000 000.
   */
  maxValueNodes?: number
  /** Most bytes of strings and byte strings one conversion may hold. Default 64 MiB. */
  maxValueBytes?: number
  /**
   * OpenTelemetry spans and metrics of this backend used alone, the same as the harness emits
   * (`pyflue.python.run`, `pyflue.python.external_call`, the run metrics, the pool gauges):
   * `{ tracer, meter, recordCode }`, `true` for the global providers of `@opentelemetry/api`
   * (scope `@pyflue/backend-monty`), or a `Telemetry`. Default off: nothing is wrapped. A harness
   * given this backend does not trace its runs a second time.
   */
  telemetry?: TelemetrySetting
}

/** The execution mode on the calling thread; its name says who may use it. */
export const IN_THREAD = 'in-thread-trusted-code-only'

/** Refuses an unknown execution mode, and the old name `'in-thread'` with what replaced it and why. */
export function checkExecution(execution: unknown): void {
  if (execution === undefined || execution === 'pool' || execution === IN_THREAD) return
  if (execution === 'in-thread') {
    throw new InvalidArgumentError(
      'execution',
      "execution: 'in-thread' was renamed to 'in-thread-trusted-code-only': on the calling thread, hostile " +
        'code can freeze the host (native operations ignore maxDurationSecs) or crash it (a native stack ' +
        "overflow), so use it only for code you trust, and 'pool' (the default) for model-written code.",
    )
  }
  throw new InvalidArgumentError(
    'execution',
    `execution must be 'pool' or '${IN_THREAD}'; got ${JSON.stringify(String(execution))}.`,
  )
}

/** The keys of `MontyBackendOptions`; any other is refused. */
export const MONTY_BACKEND_OPTION_KEYS = Object.keys({
  sandbox: true,
  mounts: true,
  defaultLimits: true,
  maxStdoutBytes: true,
  maxWriteBytesPerRun: true,
  scriptName: true,
  execution: true,
  pool: true,
  maxValueNodes: true,
  maxValueBytes: true,
  telemetry: true,
} satisfies Record<keyof MontyBackendOptions, true>)

/** The instrumentation scope of `telemetry: true` on this backend. */
export const MONTY_TELEMETRY_SCOPE = '@pyflue/backend-monty'

/** The backend's `Telemetry` from its `telemetry` option (checked; unknown keys refused). */
export function montyTelemetry(setting: TelemetrySetting | undefined, where: string): Telemetry {
  return telemetryFrom(setting, { where, scope: MONTY_TELEMETRY_SCOPE })
}
