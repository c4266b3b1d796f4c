import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The prefix of every workspace container this package creates in the temp directory. */
export const WORKSPACE_PREFIX = 'pyflue-virtual-'

/** The owner marker beside (never inside) the workspace, so shell and Python cannot touch it. */
const OWNER_FILE = 'owner.json'

/** A container without a readable marker is swept once it is this old (a crash mid-creation). */
const UNMARKED_GRACE_MS = 10 * 60 * 1000

/** A sweep of one temp directory runs at most this often per process. */
const SWEEP_INTERVAL_MS = 60 * 1000

/**
 * A private host directory that holds one sandbox's files.
 *
 * Layout: `<tmp>/pyflue-virtual-XXXXXX/` (mode 0700, created by `mkdtemp`) holds `owner.json`
 * (`{ pid, createdAt }`) and `workspace/` (mode 0700), the directory the shell and Python see as `/`.
 */
export interface WorkspaceDirectory {
  /** The container directory (removed as a whole). */
  readonly container: string
  /** The canonical (symlink-free) host path of the workspace root. */
  readonly root: string
  /** Removes the container and everything in it. Synchronous, idempotent, never throws. */
  remove(): void
}

const live = new Set<string>()
let exitHookInstalled = false
const lastSweep = new Map<string, number>()

/**
 * Creates a workspace directory under `parent` (default `os.tmpdir()`). First sweeps containers
 * left by processes that died without closing their sandboxes, and registers a best-effort
 * synchronous removal on process exit.
 */
export function createWorkspaceDirectory(parent: string = tmpdir()): WorkspaceDirectory {
  sweepAbandonedWorkspaces(parent)
  const container = mkdtempSync(join(parent, WORKSPACE_PREFIX))
  try {
    writeFileSync(
      join(container, OWNER_FILE),
      JSON.stringify({ pid: process.pid, createdAt: new Date().toISOString() }),
      { mode: 0o600 },
    )
    const workspace = join(container, 'workspace')
    mkdirSync(workspace, { mode: 0o700 })
    const root = realpathSync(workspace)
    live.add(container)
    installExitHook()
    return {
      container,
      root,
      remove() {
        live.delete(container)
        removeQuietly(container)
      },
    }
  } catch (error) {
    removeQuietly(container)
    throw error
  }
}

/**
 * Removes containers under `parent` whose owner process is gone (or whose marker is missing
 * and that are older than ten minutes). Only containers owned by this user are considered.
 * Best effort: errors are ignored. Runs at most once a minute per `parent` unless `force`.
 * Returns the containers removed.
 */
export function sweepAbandonedWorkspaces(parent: string = tmpdir(), force = false): string[] {
  const now = Date.now()
  if (!force && now - (lastSweep.get(parent) ?? 0) < SWEEP_INTERVAL_MS) return []
  lastSweep.set(parent, now)
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(parent).filter((name) => name.startsWith(WORKSPACE_PREFIX))
  } catch {
    return removed
  }
  const uid = process.getuid?.()
  for (const name of names) {
    const container = join(parent, name)
    if (live.has(container)) continue
    try {
      // lstat: a link named like a workspace (planted by someone else) is never followed.
      const stat = lstatSync(container)
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue
      const owner = readOwner(container)
      const abandoned =
        owner === undefined ? now - stat.mtimeMs > UNMARKED_GRACE_MS : !isProcessAlive(owner.pid)
      if (abandoned) {
        removeQuietly(container)
        removed.push(container)
      }
    } catch {
      // Vanished or unreadable: not ours to judge.
    }
  }
  return removed
}

function readOwner(container: string): { pid: number } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(container, OWNER_FILE), 'utf8')) as { pid?: unknown }
    return typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0
      ? { pid: parsed.pid }
      : undefined
  } catch {
    return undefined
  }
}

function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const container of live) removeQuietly(container)
    live.clear()
  })
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 2 })
  } catch {
    // Best effort: a later sweep retries.
  }
}
