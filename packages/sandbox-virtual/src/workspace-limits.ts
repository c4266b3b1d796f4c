import type { Dirent } from 'node:fs'
import { lstatSync, readdirSync } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { SandboxLimitError } from '@pyflue/core'

/** What the workspace holds: entries of every kind (files, directories, links) and regular-file bytes. */
export interface WorkspaceUsage {
  entries: number
  bytes: number
}

/** What one Python run may write: the bytes left (absent: no byte limit), and whether no entry may be added. */
export interface WorkspaceBudget {
  remainingBytes: number | undefined
  full: boolean
}

/** The size limits of a workspace; `undefined` means unlimited. */
export interface WorkspaceLimitValues {
  readonly maxTotalBytes?: number
  readonly maxFileCount?: number
}

/**
 * What the file verbs and the shell's file system need of the limits: `WorkspaceLimits` on the
 * main thread, `RemoteLimits` (`shell-worker-limits.ts`) in a shell worker, which asks the main
 * thread's `WorkspaceLimits` for each change, so one account covers every thread.
 */
export interface LimitsGate {
  readonly active: boolean
  reserve<T>(delta: () => Promise<WorkspaceUsage>, change: () => Promise<T>, exact?: boolean): Promise<T>
  invalidate(): void
}

/** Throws `SandboxLimitError` when adding `delta` to `usage` passes a limit; nothing has changed yet. */
export function checkDelta(values: WorkspaceLimitValues, usage: WorkspaceUsage, delta: WorkspaceUsage): void {
  const { bytes, entries } = delta
  const { maxTotalBytes, maxFileCount } = values
  if (maxTotalBytes !== undefined && bytes > 0 && usage.bytes + bytes > maxTotalBytes) {
    throw new SandboxLimitError({
      limit: 'maxTotalBytes',
      value: maxTotalBytes,
      message: `The sandbox's maxTotalBytes limit (${maxTotalBytes}) would be exceeded: it holds ${usage.bytes} bytes and this write adds ${bytes}. Nothing was written.`,
    })
  }
  if (maxFileCount !== undefined && entries > 0 && usage.entries + entries > maxFileCount) {
    throw new SandboxLimitError({
      limit: 'maxFileCount',
      value: maxFileCount,
      message: `The sandbox's maxFileCount limit (${maxFileCount}) would be exceeded: it holds ${usage.entries} files and directories and this change adds ${entries}. Nothing was written.`,
    })
  }
}

/**
 * Enforces `maxTotalBytes` and `maxFileCount` on the workspace.
 *
 * The usage is measured by walking the workspace (without following links). A measurement is
 * cached and each checked change (file verbs, shell writes) updates it; changes that cannot be
 * counted exactly (rm, mv, cp) drop it (`invalidate()`), and so does opening the directory to an
 * in-process Python run (`workspace-mount-lease.ts`), which writes straight to it; the run's end
 * measures again. Checked changes run one at a time (`exclusive`), so two writers cannot both
 * squeeze in. (Measuring before every change instead would cost a walk per write: 0.7 s for
 * 10 000 files in the `virtual-mount-scale` benchmark.)
 */
export class WorkspaceLimits implements LimitsGate {
  readonly #root: string
  readonly values: WorkspaceLimitValues
  #usage: WorkspaceUsage | undefined
  #queue: Promise<unknown> = Promise.resolve()

  constructor(root: string, values: WorkspaceLimitValues) {
    this.#root = root
    this.values = values
  }

  /** True when at least one limit is set. */
  get active(): boolean {
    return this.values.maxTotalBytes !== undefined || this.values.maxFileCount !== undefined
  }

  /** Forgets the cached usage; the next check measures again. */
  invalidate(): void {
    this.#usage = undefined
  }

  /**
   * What a Python run may do now, without changing any state (for the synchronous `hostMounts()`):
   * from the cached usage, or, when there is none, a synchronous measuring walk that is not kept.
   */
  budgetNow(): WorkspaceBudget {
    return this.budgetOf(this.#usage ?? measureUsageSync(this.#root, this.values.maxTotalBytes !== undefined))
  }

  /** What remains of `maxTotalBytes` after `usage`, and whether `usage` is at or over `maxFileCount`. */
  budgetOf(usage: WorkspaceUsage): WorkspaceBudget {
    const { maxTotalBytes, maxFileCount } = this.values
    return {
      remainingBytes: maxTotalBytes === undefined ? undefined : Math.max(0, maxTotalBytes - usage.bytes),
      full: maxFileCount !== undefined && usage.entries >= maxFileCount,
    }
  }

  /** The current usage (measured if not cached). */
  async usage(): Promise<WorkspaceUsage> {
    this.#usage ??= await measureUsage(this.#root, this.values.maxTotalBytes !== undefined)
    return this.#usage
  }

  /**
   * Runs `change` after checking that adding `bytes` and `entries` stays within the limits;
   * throws `SandboxLimitError` before anything changed otherwise. After `change` succeeds the
   * cached usage includes the delta (or is dropped when `exact` is false).
   */
  async reserve<T>(delta: () => Promise<WorkspaceUsage>, change: () => Promise<T>, exact = true): Promise<T> {
    if (!this.active) return change()
    return this.exclusive(async () => {
      const usage = await this.usage()
      const { bytes, entries } = await delta()
      checkDelta(this.values, usage, { bytes, entries })
      try {
        const result = await change()
        if (exact && this.#usage) {
          this.#usage.bytes += bytes
          this.#usage.entries += entries
        } else this.#usage = undefined
        return result
      } catch (error) {
        this.#usage = undefined
        throw error
      }
    })
  }

  /**
   * Records a change made elsewhere (a shell worker) while it held `exclusive`: adds `delta` to
   * the cached usage, or forgets the usage when the change could not be counted (`undefined`).
   */
  applyDelta(delta: WorkspaceUsage | undefined): void {
    if (delta === undefined) this.#usage = undefined
    else if (this.#usage) {
      this.#usage.bytes += delta.bytes
      this.#usage.entries += delta.entries
    }
  }

  /** Runs `fn` after every earlier exclusive change finished. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return run
  }
}

/** Walks `root` without following links: counts entries of every kind and, when asked, file bytes. */
export async function measureUsage(root: string, withBytes: boolean): Promise<WorkspaceUsage> {
  const usage: WorkspaceUsage = { entries: 0, bytes: 0 }
  const directories = [root]
  while (directories.length > 0) {
    const directory = directories.pop()!
    let entries: Dirent[]
    try {
      entries = await readdir(directory, { withFileTypes: true })
    } catch {
      continue
    }
    usage.entries += entries.length
    const files: string[] = []
    for (const entry of entries) {
      const path = join(directory, entry.name)
      if (entry.isDirectory()) directories.push(path)
      else if (withBytes && entry.isFile()) files.push(path)
    }
    // A directory's files are measured at once: one `lstat` after another waited for the
    // thread pool each time (10 000 files: about 3× slower).
    const sizes = await Promise.all(
      files.map((path) =>
        lstat(path).then(
          (found) => found.size,
          () => 0, // Removed while we looked.
        ),
      ),
    )
    for (const size of sizes) usage.bytes += size
  }
  return usage
}

/** `measureUsage`, synchronously (for `hostMounts()`). */
export function measureUsageSync(root: string, withBytes: boolean): WorkspaceUsage {
  const usage: WorkspaceUsage = { entries: 0, bytes: 0 }
  const directories = [root]
  while (directories.length > 0) {
    const directory = directories.pop()!
    let entries: Dirent[]
    try {
      entries = readdirSync(directory, { withFileTypes: true })
    } catch {
      continue
    }
    usage.entries += entries.length
    for (const entry of entries) {
      const path = join(directory, entry.name)
      if (entry.isDirectory()) directories.push(path)
      else if (withBytes && entry.isFile()) {
        try {
          usage.bytes += lstatSync(path).size
        } catch {
          // Removed while we looked.
        }
      }
    }
  }
  return usage
}
