// The seam between the engine and whatever executes a Monty program: the engine plans a run,
// asks an `Executor` (in-thread: `in-thread-execution.ts`; a pool of processes: `monty-pool.ts`)
// for an `Execution` of its `ExecutionRequest` and drives it step by step. Types only.
import type { HostDirectoryMount } from '@pyflue/core'
import type { RunClock } from './run-limits.js'
import type { ValueBudgetLimits } from './value-budget.js'

/** Where a running program stands: paused at a name lookup or a call, or complete. */
export type Step =
  | { readonly kind: 'lookup'; readonly name: string }
  | {
      readonly kind: 'call'
      readonly name: string
      readonly args: readonly unknown[]
      readonly kwargs: Readonly<Record<string, unknown>>
    }
  | { readonly kind: 'complete'; readonly output: unknown }

/** How the host answers a call pause. */
export type CallAnswer =
  | { readonly value: unknown }
  | { readonly exception: { type: string; message: string } }

/** What one run hands to Monty. */
export interface ExecutionRequest {
  readonly source: string
  readonly scriptName: string
  readonly inputNames: readonly string[]
  readonly inputs: Record<string, unknown>
  readonly limits: Record<string, number>
  /** The budget of each value the program hands back (`value-budget.ts`). */
  readonly valueLimits: ValueBudgetLimits
  /** When the run must be over (`run-limits.ts`: waiting for a pool process is given back). */
  readonly clock: RunClock
  readonly canPause: boolean
  readonly printCallback: (text: string) => void
  /**
   * Resume a paused program instead of starting `source`: the bytes of a Monty snapshot
   * (`Execution.dump`). `start()` then loads them and resolves the call the program is paused
   * at. A loaded program keeps its inputs and limits but has no mounts (Monty 0.0.18 cannot
   * give a loaded snapshot any), so its file access is refused from there on.
   */
  readonly resumeFrom?: Uint8Array
}

/** One program's execution, driven step by step by the engine. */
export interface Execution {
  start(): Promise<Step>
  resumeLookup(value: { value: unknown } | undefined): Promise<Step>
  resumeCall(answer: CallAnswer): Promise<Step>
  /** The program paused at a call, as Monty snapshot bytes (for `ExecutionRequest.resumeFrom`). */
  dump(): Promise<Uint8Array>
  /**
   * The run is over: frees what the execution holds. When the program is still computing (a
   * pool process busy with it), stops it at once; a pending step rejects with `reason`.
   * Idempotent. In-thread nothing can be stopped mid-step; later steps reject with `reason`.
   */
  dispose(reason?: unknown): void
}

/**
 * What executes programs: one `Execution` per run. Every road takes the same request and the
 * run's mounts in one form (the sandbox's `HostDirectoryMount`s, converted by the road itself).
 * - `execution` resolves once the road can run the program (a pool waits for a free process,
 *   under `signal` and the request's clock); it starts nothing: the engine calls `start()`.
 * - A mount the road cannot open rejects with `InvalidArgumentError` naming its sandbox path.
 */
export interface Executor {
  execution(
    request: ExecutionRequest,
    mounts: readonly HostDirectoryMount[],
    signal?: AbortSignal,
  ): Promise<Execution>
}
