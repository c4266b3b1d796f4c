/**
 * The messages between the main thread (`shell-pool.ts`) and a shell worker (`shell-worker.ts`).
 * A worker runs one command at a time; while it runs, the worker's file system asks the main
 * thread's `WorkspaceLimits` for every checked change (`lock` → `locked` → `unlock`).
 */
import type { ShellResult } from '@pyflue/core'
import type { VirtualSandboxNetwork } from './virtual-sandbox-options.js'
import type { WorkspaceLimitValues, WorkspaceUsage } from './workspace-limits.js'

/** One command for a worker: everything it needs to build a just-bash over the workspace. */
export interface ShellJob {
  /** The workspace's host directory. */
  root: string
  readOnly: boolean
  limits: WorkspaceLimitValues
  /** The sandbox's `cwd` (just-bash's starting directory) and the command's own. */
  sandboxCwd: string
  cwd: string
  command: string
  /** The sandbox's base environment and the command's additions. */
  baseEnv: Record<string, string>
  env?: Record<string, string>
  python: boolean
  network?: VirtualSandboxNetwork
  /** The worker's own deadline, milliseconds from when it receives the job; absent: none. */
  timeoutMs?: number
  /**
   * The deadline just-bash itself checks between statements (it keeps the output of a command
   * stopped there): the caller's `timeoutMs` when the job did not wait for a worker, so the
   * worker can reuse one interpreter for every command with the same deadline.
   */
  shellDeadlineMs?: number
  /** stdout and stderr are each cut to this many bytes in the worker. */
  maxOutputSize: number
}

export type ToWorker =
  | { type: 'run'; job: ShellJob }
  /** The main thread holds the limits for this worker; `usage` is the workspace's as counted. */
  | { type: 'locked'; usage: WorkspaceUsage }

export type FromWorker =
  | { type: 'lock' }
  /** The change is done (or failed): `delta` is what it added, absent when it cannot be counted. */
  | { type: 'unlock'; delta?: WorkspaceUsage }
  | { type: 'invalidate' }
  /** `timedOut`: the worker's deadline stopped the command. */
  | { type: 'done'; result: ShellResult; timedOut: boolean }
