/**
 * The checks of a commit every store runs before writing anything: the commit's shape, its
 * expected version, its Python backend and engine version, and the workspace bound. A store that
 * keeps its current state in place (a row, a hash, a folder) passes only a small head of the
 * record and the sizes of the paths the commit touches, so checking costs what the commit changes,
 * not what the session holds.
 */
import { InvalidArgumentError } from './errors/pyflue-error.js'
import { StateFormatError } from './errors/python-errors.js'
import { SessionConflictError, SessionTooLargeError } from './errors/session-errors.js'
import { refuseUnknownKeys } from './option-keys.js'
import type { SessionCommit } from './session-store.js'

/** What a store knows of a stored record without reading its messages, state or files. */
export interface SessionHead {
  /** The committed version; `0` (or no head at all) when nothing is stored. */
  readonly version: number
  /** The stored Python state's backend and engine version, when there is one. */
  readonly python?: { readonly backend: string; readonly engineVersion: string }
  /** The total bytes of the stored workspace's file contents. */
  readonly workspaceBytes: number
}

/** What `checkSessionCommit` resolves: the head the commit makes. */
export interface CheckedSessionCommit extends SessionHead {
  readonly version: number
}

/** The paths a commit's workspace change touches, so a store reads the sizes of those only. */
export interface TouchedWorkspacePaths {
  /** True for a snapshot: every stored file is replaced, so no stored size matters. */
  readonly replacesAll: boolean
  /** The paths written or removed (a delta), or the snapshot's paths; each once. */
  readonly paths: readonly string[]
}

const COMMIT_KEYS = ['expectedVersion', 'appendMessages', 'python', 'workspace', 'sandbox', 'extensions']

/**
 * The paths `change` writes or removes, so a store reads the stored sizes of those only. Throws
 * `InvalidArgumentError` for a commit of the wrong shape, as `checkSessionCommit` does, so a store
 * may call it before reading anything.
 */
export function touchedWorkspacePaths(change: SessionCommit): TouchedWorkspacePaths {
  checkShape(change)
  const workspace = change.workspace
  if (!workspace) return { replacesAll: false, paths: [] }
  if (workspace.kind === 'snapshot') return { replacesAll: true, paths: Object.keys(workspace.files) }
  return {
    replacesAll: false,
    paths: [...new Set([...workspace.removed, ...Object.keys(workspace.written)])],
  }
}

/**
 * Checks `change` against the stored `head` (undefined: nothing stored) and resolves the head it
 * makes, or throws without side effects:
 * - `InvalidArgumentError` for a commit of the wrong shape (unknown keys, a negative or fractional
 *   `expectedVersion`, messages not an array, bytes that are not `Uint8Array`, paths that are not
 *   absolute, a sandbox without provider and id, extensions not an object);
 * - `SessionConflictError` when `expectedVersion` is not `head.version`;
 * - `StateFormatError` for a Python delta with no stored state or another backend/engine version;
 * - `SessionTooLargeError` when the workspace would exceed `maxWorkspaceBytes`.
 * `storedSizes` holds the stored byte size of each path in `touchedWorkspacePaths(change).paths`
 * that exists (other entries are ignored).
 */
export function checkSessionCommit(
  sessionId: string,
  head: SessionHead | undefined,
  change: SessionCommit,
  options: { maxWorkspaceBytes: number; storedSizes?: Readonly<Record<string, number>> },
): CheckedSessionCommit {
  checkShape(change)
  const actualVersion = head?.version ?? 0
  if (change.expectedVersion !== actualVersion) {
    throw new SessionConflictError({ sessionId, expectedVersion: change.expectedVersion, actualVersion })
  }
  let python = head?.python
  if (change.python?.kind === 'snapshot') {
    python = { backend: change.python.backend, engineVersion: change.python.engineVersion }
  } else if (change.python) {
    if (!python) {
      throw new StateFormatError(
        'corrupt',
        'A Python delta was committed to a session with no stored Python state; commit a snapshot first.',
      )
    }
    if (python.backend !== change.python.backend || python.engineVersion !== change.python.engineVersion) {
      throw new StateFormatError(
        python.backend !== change.python.backend ? 'backend' : 'version',
        `A Python delta of ${change.python.backend} ${change.python.engineVersion} was committed onto a state of ${python.backend} ${python.engineVersion}; commit a snapshot instead.`,
      )
    }
  }
  const workspaceBytes = nextWorkspaceBytes(head?.workspaceBytes ?? 0, change, options.storedSizes ?? {})
  if (workspaceBytes > options.maxWorkspaceBytes) {
    throw new SessionTooLargeError({
      sessionId,
      part: 'workspace',
      limitBytes: options.maxWorkspaceBytes,
      actualBytes: workspaceBytes,
    })
  }
  return { version: actualVersion + 1, ...(python ? { python } : {}), workspaceBytes }
}

function nextWorkspaceBytes(
  current: number,
  change: SessionCommit,
  storedSizes: Readonly<Record<string, number>>,
): number {
  const workspace = change.workspace
  if (!workspace) return current
  if (workspace.kind === 'snapshot') return sum(Object.values(workspace.files).map((b) => b.byteLength))
  let total = current
  const gone = new Set<string>()
  const drop = (path: string) => {
    if (gone.has(path)) return
    gone.add(path)
    const size = Object.hasOwn(storedSizes, path) ? storedSizes[path] : undefined
    if (size !== undefined) total -= size
  }
  for (const path of workspace.removed) drop(path)
  for (const [path, bytes] of Object.entries(workspace.written)) {
    drop(path)
    total += bytes.byteLength
  }
  return total
}

function sum(values: number[]): number {
  let total = 0
  for (const value of values) total += value
  return total
}

function checkShape(change: SessionCommit): void {
  if (!change || typeof change !== 'object' || Array.isArray(change)) {
    throw new InvalidArgumentError('commit', 'A commit is an object with at least expectedVersion.')
  }
  refuseUnknownKeys(change, COMMIT_KEYS, 'commit')
  if (!Number.isInteger(change.expectedVersion) || change.expectedVersion < 0) {
    throw new InvalidArgumentError('expectedVersion', 'expectedVersion must be a non-negative integer.')
  }
  if (change.appendMessages !== undefined && !Array.isArray(change.appendMessages)) {
    throw new InvalidArgumentError('appendMessages', 'appendMessages is an array of JSON values.')
  }
  const python = change.python
  if (python !== undefined) {
    if (!python || typeof python !== 'object') bad('python', 'python is a snapshot or delta change.')
    if (typeof python.backend !== 'string' || python.backend === '')
      bad('python.backend', 'python.backend is a non-empty string.')
    if (typeof python.engineVersion !== 'string')
      bad('python.engineVersion', 'python.engineVersion is a string.')
    if (python.kind === 'snapshot') {
      refuseUnknownKeys(python, ['kind', 'backend', 'engineVersion', 'state'], 'commit.python')
      if (!(python.state instanceof Uint8Array)) bad('python.state', 'python.state is a Uint8Array.')
    } else if (python.kind === 'delta') {
      refuseUnknownKeys(python, ['kind', 'backend', 'engineVersion', 'changed', 'removed'], 'commit.python')
      checkBytesRecord(python.changed, 'python.changed', false)
      checkStrings(python.removed, 'python.removed', false)
    } else bad('python.kind', "python.kind is 'snapshot' or 'delta'.")
  }
  const workspace = change.workspace
  if (workspace !== undefined) {
    if (!workspace || typeof workspace !== 'object')
      bad('workspace', 'workspace is a snapshot or delta change.')
    if (workspace.kind === 'snapshot') {
      refuseUnknownKeys(workspace, ['kind', 'files'], 'commit.workspace')
      checkBytesRecord(workspace.files, 'workspace.files', true)
    } else if (workspace.kind === 'delta') {
      refuseUnknownKeys(workspace, ['kind', 'written', 'removed'], 'commit.workspace')
      checkBytesRecord(workspace.written, 'workspace.written', true)
      checkStrings(workspace.removed, 'workspace.removed', true)
    } else bad('workspace.kind', "workspace.kind is 'snapshot' or 'delta'.")
  }
  const sandbox = change.sandbox
  if (sandbox !== undefined && sandbox !== null) {
    if (typeof sandbox !== 'object') bad('sandbox', 'sandbox is { provider, sandboxId } or null.')
    refuseUnknownKeys(sandbox, ['provider', 'sandboxId'], 'commit.sandbox')
    if (typeof sandbox.provider !== 'string' || sandbox.provider === '')
      bad('sandbox.provider', 'sandbox.provider is a non-empty string.')
    if (typeof sandbox.sandboxId !== 'string' || sandbox.sandboxId === '')
      bad('sandbox.sandboxId', 'sandbox.sandboxId is a non-empty string.')
  }
  const extensions = change.extensions
  if (
    extensions !== undefined &&
    (!extensions || typeof extensions !== 'object' || Array.isArray(extensions))
  ) {
    bad('extensions', 'extensions is an object of JSON values (null removes one).')
  }
}

function checkBytesRecord(value: unknown, where: string, paths: boolean): void {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    bad(where, `${where} is an object of Uint8Array.`)
  for (const [key, bytes] of Object.entries(value as Record<string, unknown>)) {
    if (paths) checkPath(key, where)
    if (!(bytes instanceof Uint8Array)) bad(`${where}.${key}`, `${where}['${key}'] is a Uint8Array.`)
  }
}

function checkStrings(value: unknown, where: string, paths: boolean): void {
  if (!Array.isArray(value)) bad(where, `${where} is an array of strings.`)
  for (const item of value as unknown[]) {
    if (typeof item !== 'string') bad(where, `${where} holds strings only.`)
    if (paths) checkPath(item, where)
  }
}

function checkPath(path: string, where: string): void {
  if (!path.startsWith('/') || path.includes('\0')) {
    bad(where, `${where}: '${path}' is not an absolute sandbox path (it must start with '/', without NUL).`)
  }
}

function bad(argument: string, message: string): never {
  throw new InvalidArgumentError(argument, message)
}
