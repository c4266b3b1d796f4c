/**
 * `RemoteLimits`: the limits as a shell worker sees them. Each checked change asks the main
 * thread for the workspace's lock and usage, checks the change against the limits here, makes it,
 * and reports what it added while still holding the lock, so the file verbs, Python's budget and
 * every worker share one account and two writers never both squeeze in.
 */
import type { MessagePort } from 'node:worker_threads'
import type { FromWorker } from './shell-protocol.js'
import type { LimitsGate, WorkspaceLimitValues, WorkspaceUsage } from './workspace-limits.js'
import { checkDelta } from './workspace-limits.js'

export class RemoteLimits implements LimitsGate {
  readonly values: WorkspaceLimitValues
  readonly #port: MessagePort
  #queue: Promise<unknown> = Promise.resolve()
  #granted: ((usage: WorkspaceUsage) => void) | undefined

  constructor(values: WorkspaceLimitValues, port: MessagePort) {
    this.values = values
    this.#port = port
  }

  get active(): boolean {
    return this.values.maxTotalBytes !== undefined || this.values.maxFileCount !== undefined
  }

  /** The main thread's answer to `lock`. */
  granted(usage: WorkspaceUsage): void {
    const granted = this.#granted
    this.#granted = undefined
    granted?.(usage)
  }

  invalidate(): void {
    this.#post({ type: 'invalidate' })
  }

  reserve<T>(delta: () => Promise<WorkspaceUsage>, change: () => Promise<T>, exact = true): Promise<T> {
    if (!this.active) return change()
    const run = this.#queue.then(async () => {
      const usage = await new Promise<WorkspaceUsage>((resolve) => {
        this.#granted = resolve
        this.#post({ type: 'lock' })
      })
      let added: WorkspaceUsage | undefined
      try {
        const wanted = await delta()
        try {
          checkDelta(this.values, usage, wanted)
        } catch (error) {
          added = { bytes: 0, entries: 0 }
          throw error
        }
        const result = await change()
        if (exact) added = wanted
        return result
      } finally {
        this.#post(added ? { type: 'unlock', delta: added } : { type: 'unlock' })
      }
    })
    this.#queue = run.catch(() => {})
    return run
  }

  #post(message: FromWorker): void {
    this.#port.postMessage(message)
  }
}
