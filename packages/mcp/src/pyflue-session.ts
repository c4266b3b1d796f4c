// One PyFlue session behind one MCP session: a Python backend (one persistent namespace) and,
// when configured, a sandbox whose files Python sees through the backend's mounts. Factories
// are resolved once per server through core's registry; each session makes its own instances.
import {
  defaultRegistry,
  type PythonBackend,
  type PythonBackendFactory,
  type Sandbox,
  type SandboxFactory,
} from '@pyflue/core'
import type { PyflueMcpServerOptions } from './server-options.js'

/** The live parts of one session. */
export interface PyflueSession {
  readonly id: string
  readonly backend: PythonBackend
  readonly sandbox: Sandbox | undefined
  /** Hands the Python state to `saveState` (when set); saves run one after another. */
  save(): Promise<void>
  /** Saves the state (when `saveState` is set), then closes the backend and the sandbox. Idempotent. */
  close(): Promise<void>
}

/** Resolved factories, shared by every session of one server. */
export interface SessionFactories {
  readonly backend: PythonBackendFactory
  readonly sandbox: SandboxFactory | undefined
}

/** Resolves the configured names (or passes factories through) once. */
export async function resolveFactories(options: PyflueMcpServerOptions): Promise<SessionFactories> {
  const registry = options.registry ?? defaultRegistry
  const backend = await registry.resolvePythonBackend(options.pythonBackend ?? 'monty')
  const sandbox = options.sandbox === undefined ? undefined : await registry.resolveSandbox(options.sandbox)
  return { backend, sandbox }
}

/**
 * Opens a session: the sandbox first (seeded with `options.files`), then the backend given that
 * sandbox, then the saved state when `loadState` returns some. A failure closes what was opened.
 */
export async function openSession(
  id: string,
  factories: SessionFactories,
  options: PyflueMcpServerOptions,
): Promise<PyflueSession> {
  let sandbox: Sandbox | undefined
  let backend: PythonBackend | undefined
  try {
    sandbox = factories.sandbox ? await factories.sandbox.createSandbox({ id }) : undefined
    for (const [path, content] of Object.entries(options.files ?? {})) await sandbox!.writeFile(path, content)
    backend = await factories.backend.createBackend({ sessionId: id, ...(sandbox ? { sandbox } : {}) })
    const saved = await options.loadState?.(id)
    if (saved !== undefined) await backend.loadState(saved)
  } catch (error) {
    await backend?.close().catch(() => {})
    await sandbox?.close?.().catch(() => {})
    throw error
  }
  const opened = backend
  let closing: Promise<void> | undefined
  let saving: Promise<void> = Promise.resolve()
  const save = () => {
    const { saveState } = options
    if (!saveState) return Promise.resolve()
    const next = saving.catch(() => {}).then(async () => saveState(id, await opened.dumpState()))
    saving = next
    return next
  }
  return {
    id,
    backend: opened,
    sandbox,
    save,
    close: () => {
      closing ??= (async () => {
        try {
          await save()
        } finally {
          await opened.close().catch(() => {})
          await sandbox?.close?.().catch(() => {})
        }
      })()
      return closing
    },
  }
}
