// One Python namespace per Deep Agents thread. `run_code` asks for the backend of the thread its
// call runs in (LangGraph's `configurable.thread_id`); the first call of a thread creates a
// backend from the factory (given the sandbox, so Python sees its files) and loads the thread's
// saved state when `loadState` has some; every run that succeeded is saved with `saveState`.
// The state lives outside LangGraph's checkpointer on purpose: it is bytes of the backend's own
// format, saved once per run, not a channel value copied into every checkpoint.
import {
  ClosedError,
  defaultRegistry,
  InvalidArgumentError,
  type PyFlueRegistry,
  type PythonBackend,
  type PythonBackendFactory,
  refuseUnknownKeys,
  type Sandbox,
} from '@pyflue/core'

/** The thread id used when a call has none (an agent invoked without `configurable.thread_id`). */
export const DEFAULT_THREAD_ID = 'default'

/** Options of `pythonThreads`. */
export interface PythonThreadsOptions {
  /** The sandbox whose files Python sees (every thread's backend is created with it). */
  sandbox?: Sandbox
  /** Returns the saved Python state of a thread (`PythonBackend.dumpState` bytes), or `undefined` for a new one. */
  loadState?: (threadId: string) => Promise<Uint8Array | undefined> | Uint8Array | undefined
  /** Receives a thread's state after every run that succeeded; saves of one thread run in order. */
  saveState?: (threadId: string, state: Uint8Array) => Promise<void> | void
  /** Resolves a backend name such as `'monty'`. Defaults to core's default registry. */
  registry?: PyFlueRegistry
}

const OPTION_KEYS = Object.keys({
  sandbox: true,
  loadState: true,
  saveState: true,
  registry: true,
} satisfies Record<keyof PythonThreadsOptions, true>)

/** The Python backends of an agent's threads. */
export interface PythonThreads {
  /** The backend's name (`'monty'`), known once the factory is resolved; `undefined` before. */
  readonly backendName: string | undefined
  /** The sandbox given to every backend. */
  readonly sandbox: Sandbox | undefined
  /** The thread's backend, created (and its state loaded) on first use. */
  backendFor(threadId: string | undefined): Promise<PythonBackend>
  /** Saves the thread's state with `saveState` (a no-op without it). */
  save(threadId: string | undefined): Promise<void>
  /** The ids of the threads that have a live backend. */
  threadIds(): string[]
  /**
   * Saves the thread's state (with `saveState`), then closes its backend; the next call on the
   * thread opens a new one (and loads what was saved). For servers with many threads; call it
   * when the thread has no run in progress. A no-op for a shared `PythonBackend`.
   */
  release(threadId: string | undefined): Promise<void>
  /** Closes every backend (the sandbox is the caller's). Later `backendFor` calls reject. */
  close(): Promise<void>
}

/**
 * Makes the per-thread backends. `backend` is a factory (`montyBackend()`), a name resolved
 * through the registry (`'monty'`: its package is imported on first use), or one `PythonBackend`
 * that every thread then shares (one namespace for all threads).
 */
export function pythonThreads(
  backend: PythonBackendFactory | PythonBackend | string,
  options: PythonThreadsOptions = {},
): PythonThreads {
  refuseUnknownKeys(options, OPTION_KEYS, 'pythonThreads options')
  const shared = isBackend(backend) ? backend : undefined
  if (
    !shared &&
    typeof backend !== 'string' &&
    typeof (backend as Partial<PythonBackendFactory>)?.createBackend !== 'function'
  ) {
    throw new InvalidArgumentError(
      'pythonBackend',
      "pythonBackend must be a PythonBackendFactory (montyBackend()), a backend name ('monty') or a PythonBackend.",
    )
  }
  if (options.registry !== undefined && typeof options.registry?.resolvePythonBackend !== 'function') {
    throw new InvalidArgumentError('registry', 'registry must be a PyFlueRegistry.')
  }
  const registry = options.registry ?? defaultRegistry
  let factory: Promise<PythonBackendFactory> | undefined
  let backendName = shared?.name ?? (typeof backend === 'string' ? undefined : backend.name)
  const backends = new Map<string, Promise<PythonBackend>>()
  const saves = new Map<string, Promise<void>>()
  let closed = false

  const open = async (threadId: string): Promise<PythonBackend> => {
    if (shared) return shared
    factory ??= registry.resolvePythonBackend(backend as PythonBackendFactory | string)
    const resolved = await factory
    backendName = resolved.name
    const created = await resolved.createBackend({
      sessionId: threadId,
      ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    })
    try {
      const saved = await options.loadState?.(threadId)
      if (saved !== undefined) await created.loadState(saved)
    } catch (error) {
      await created.close().catch(() => {})
      throw error
    }
    return created
  }

  const save = (threadId: string | undefined): Promise<void> => {
    const { saveState } = options
    const id = threadId ?? DEFAULT_THREAD_ID
    const entry = backends.get(id)
    if (!saveState || !entry) return Promise.resolve()
    const next = (saves.get(id) ?? Promise.resolve())
      .catch(() => {})
      .then(async () => saveState(id, await (await entry).dumpState()))
    saves.set(id, next)
    return next
  }

  return {
    get backendName() {
      return backendName
    },
    sandbox: options.sandbox,
    backendFor(threadId) {
      if (closed) return Promise.reject(new ClosedError('python threads'))
      const id = threadId ?? DEFAULT_THREAD_ID
      let entry = backends.get(id)
      if (!entry) {
        entry = open(id)
        backends.set(id, entry)
        // A failed open is not remembered: the next call tries again.
        entry.catch(() => backends.delete(id))
      }
      return entry
    },
    save,
    threadIds: () => [...backends.keys()],
    async release(threadId) {
      const id = threadId ?? DEFAULT_THREAD_ID
      const entry = backends.get(id)
      if (!entry || shared) return
      try {
        await save(id)
      } finally {
        backends.delete(id)
        saves.delete(id)
        await entry.then((backend) => backend.close()).catch(() => {})
      }
    },
    async close() {
      if (closed) return
      closed = true
      await Promise.allSettled(saves.values())
      if (shared) return
      const opened = await Promise.allSettled(backends.values())
      await Promise.all(
        opened.map((outcome) =>
          outcome.status === 'fulfilled' ? outcome.value.close().catch(() => {}) : undefined,
        ),
      )
    },
  }
}

/** A `PythonBackend` by shape (`run` and `dumpState`), not a factory. */
export function isBackend(value: unknown): value is PythonBackend {
  const candidate = value as Partial<PythonBackend> | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.run === 'function' &&
    typeof candidate.dumpState === 'function'
  )
}

/** A `PythonThreads` by shape. */
export function isPythonThreads(value: unknown): value is PythonThreads {
  const candidate = value as Partial<PythonThreads> | null
  return typeof candidate === 'object' && candidate !== null && typeof candidate.backendFor === 'function'
}
