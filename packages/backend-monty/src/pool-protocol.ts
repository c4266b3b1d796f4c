/** Messages between the engine (parent) and a pool process (`pool-runner.ts`). */
import type { SnippetAnalysis } from './snippet-analysis.js'

/** A bind mount as the runner recreates it with `MountDir`. */
export interface MountSpec {
  readonly sandboxPath: string
  readonly hostDir: string
  readonly mode: 'read-only' | 'read-write'
  /** The most bytes this run may write through the mount. */
  readonly writeBytesLimit?: number
}

/** Parent → process. Values are tuple-marked (`tuple-mark.ts`). */
export type ToRunner =
  | {
      readonly type: 'run'
      /**
       * The program, by id (`program-ids.ts`): its source comes with the first run of
       * it on this process, and `forget` lists ids the process may drop.
       */
      readonly programId?: number
      readonly source?: string
      readonly forget?: readonly number[]
      readonly scriptName: string
      readonly inputNames: readonly string[]
      readonly inputs: unknown
      readonly limits: Record<string, number>
      /** The budget of each value sent back (`value-budget.ts`). */
      readonly valueLimits: { readonly maxNodes: number; readonly maxBytes: number }
      readonly canPause: boolean
      readonly mounts: readonly MountSpec[]
      /** Load this Monty snapshot and report its call, instead of starting `source`. */
      readonly snapshot?: Uint8Array
    }
  /** Dump the program paused at a call (reply: `dumped`). */
  | { readonly type: 'dump' }
  /** Analyse a snippet (`snippet-analysis.ts`) off the calling thread. */
  | { readonly type: 'analyze'; readonly code: string }
  /** Type-check a snippet after a prefix of stubs; the rendered diagnostics come back. */
  | { readonly type: 'typecheck'; readonly code: string; readonly prefix: string }
  | { readonly type: 'lookup'; readonly has: boolean; readonly value?: unknown }
  | {
      readonly type: 'call'
      readonly value?: unknown
      readonly exception?: { readonly type: string; readonly message: string }
    }

/** Process → parent. */
export type FromRunner =
  | { readonly type: 'ready' }
  | { readonly type: 'print'; readonly text: string }
  | { readonly type: 'lookup'; readonly name: string }
  | { readonly type: 'call'; readonly name: string; readonly args: unknown; readonly kwargs: unknown }
  | { readonly type: 'complete'; readonly output: unknown }
  | { readonly type: 'dumped'; readonly bytes: Uint8Array }
  | { readonly type: 'analysis'; readonly analysis: SnippetAnalysis }
  /** `diagnostics` is undefined when the check passed (or found only what the run reports). */
  | { readonly type: 'typechecked'; readonly diagnostics?: string }
  /** A value to send back was over its budget (or too deep): the run's result cannot cross. */
  | {
      readonly type: 'value-error'
      readonly path: string
      readonly found: string
      readonly message: string
    }
  | {
      readonly type: 'error'
      /** `'mount'`: a mount could not be made; `typeName` is then its sandbox path. */
      readonly kind: 'syntax' | 'runtime' | 'mount' | 'other'
      readonly typeName: string
      readonly message: string
      readonly frames: readonly { line: number; column: number; functionName?: string }[]
    }
