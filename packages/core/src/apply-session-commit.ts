/**
 * The pure part of a commit on a whole record: checks a `SessionCommit` against the stored record
 * (`checkSessionCommit`) and builds the next record, or throws the contract's typed error without
 * changing anything. The in-memory store uses it, and it is the reference the testkit compares
 * every store's loaded records with.
 */
import { checkSessionCommit, touchedWorkspacePaths } from './check-session-commit.js'
import type { SessionCommit, SessionRecord, StoredPythonState } from './session-store.js'
import { workspaceBytes } from './session-store.js'

/** Builds the record `change` makes of `current` (undefined: nothing stored); copies every byte array. */
export function applySessionCommit(
  sessionId: string,
  current: SessionRecord | undefined,
  change: SessionCommit,
  options: { maxWorkspaceBytes: number; now?: Date },
): SessionRecord {
  const head = current && {
    version: current.version,
    ...(current.python
      ? { python: { backend: current.python.backend, engineVersion: current.python.engineVersion } }
      : {}),
    workspaceBytes: workspaceBytes(current.workspace),
  }
  const storedSizes: Record<string, number> = {}
  for (const path of touchedWorkspacePaths(change).paths) {
    const bytes = current?.workspace[path]
    if (bytes) storedSizes[path] = bytes.byteLength
  }
  const checked = checkSessionCommit(sessionId, head, change, {
    maxWorkspaceBytes: options.maxWorkspaceBytes,
    storedSizes,
  })
  const python = nextPython(current?.python, change)
  let workspace: Record<string, Uint8Array> = { ...(current?.workspace ?? {}) }
  if (change.workspace?.kind === 'snapshot') workspace = copyFiles(change.workspace.files)
  else if (change.workspace?.kind === 'delta') {
    for (const path of change.workspace.removed) delete workspace[path]
    Object.assign(workspace, copyFiles(change.workspace.written))
  }
  const extensions: Record<string, unknown> = { ...(current?.extensions ?? {}) }
  for (const [key, value] of Object.entries(change.extensions ?? {})) {
    if (value === null) delete extensions[key]
    else extensions[key] = structuredClone(value)
  }
  const sandbox = change.sandbox === undefined ? current?.sandbox : (change.sandbox ?? undefined)
  return {
    sessionId,
    version: checked.version,
    messages: [...(current?.messages ?? []), ...structuredClone(change.appendMessages ?? [])],
    ...(python ? { python } : {}),
    workspace,
    ...(sandbox ? { sandbox: { provider: sandbox.provider, sandboxId: sandbox.sandboxId } } : {}),
    extensions,
    updatedAt: (options.now ?? new Date()).toISOString(),
  }
}

function nextPython(
  stored: StoredPythonState | undefined,
  change: SessionCommit,
): StoredPythonState | undefined {
  const python = change.python
  if (!python) return stored
  if (python.kind === 'snapshot') {
    return {
      backend: python.backend,
      engineVersion: python.engineVersion,
      snapshot: new Uint8Array(python.state),
      deltas: [],
    }
  }
  if (!stored) throw new Error('unreachable: checkSessionCommit refuses a delta without state')
  return {
    ...stored,
    deltas: [...stored.deltas, { changed: copyFiles(python.changed), removed: [...python.removed] }],
  }
}

function copyFiles(files: Readonly<Record<string, Uint8Array>>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {}
  for (const [key, bytes] of Object.entries(files)) out[key] = new Uint8Array(bytes)
  return out
}

/** A deep copy of a record, so a store never shares objects with its caller. */
export function copySessionRecord(record: SessionRecord): SessionRecord {
  return {
    ...record,
    messages: structuredClone(record.messages),
    ...(record.python
      ? {
          python: {
            ...record.python,
            ...(record.python.snapshot ? { snapshot: new Uint8Array(record.python.snapshot) } : {}),
            deltas: record.python.deltas.map((d) => ({
              changed: copyFiles(d.changed),
              removed: [...d.removed],
            })),
          },
        }
      : {}),
    workspace: copyFiles(record.workspace),
    ...(record.sandbox ? { sandbox: { ...record.sandbox } } : {}),
    extensions: structuredClone(record.extensions),
  }
}
