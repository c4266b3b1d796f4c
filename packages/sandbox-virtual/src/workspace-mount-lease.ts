/**
 * The mount lifecycle of a virtual sandbox (core's `Sandbox.openHostMounts`). A Python run writes
 * straight to the workspace directory, where no checked change sees it: Monty caps its bytes
 * (`writeBytesLimit`), but nothing can cap how many files it creates while it runs. So opening a
 * lease notes which names the workspace holds (a listing walk, no `stat`), and `release()`, which
 * the backend calls when the run ended, measures the workspace again (charging what the run wrote)
 * and, when the run left it over `maxFileCount`, removes every name that appeared since the lease
 * was opened and rejects with `SandboxLimitError`. Files the run changed in place stay changed.
 */
import type { Dirent } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { HostDirectoryMount, HostMountLease } from '@pyflue/core'
import { SandboxLimitError } from '@pyflue/core'
import type { WorkspaceFiles } from './workspace-files.js'
import type { WorkspaceBudget, WorkspaceLimits } from './workspace-limits.js'

/** The names of every directory of the workspace, by path relative to its root (`''`: the root). */
type WorkspaceNames = Map<string, Set<string>>

/** The one mount of a workspace for a run allowed `budget` (absent: no limits). */
export function workspaceMount(
  root: string,
  readOnly: boolean,
  budget: WorkspaceBudget | undefined,
): HostDirectoryMount {
  const mode = readOnly || budget?.full === true ? 'read-only' : 'read-write'
  return {
    sandboxPath: '/',
    hostDir: root,
    mode,
    ...(budget?.remainingBytes === undefined || mode === 'read-only'
      ? {}
      : { writeBytesLimit: budget.remainingBytes }),
  }
}

/**
 * Opens the workspace's mount for one Python run (see the file header). Runs in the limits'
 * exclusive section, so no checked change of the file verbs or the shell interleaves with it.
 */
export function openWorkspaceMounts(
  root: string,
  readOnly: boolean,
  limits: WorkspaceLimits,
  files: WorkspaceFiles,
): Promise<HostMountLease> {
  if (!limits.active) {
    return Promise.resolve({ mounts: [workspaceMount(root, readOnly, undefined)], release: async () => {} })
  }
  return limits.exclusive(async () => {
    const mount = workspaceMount(root, readOnly, limits.budgetOf(await limits.usage()))
    if (mount.mode === 'read-only') return { mounts: [mount], release: async () => {} }
    const before = limits.values.maxFileCount === undefined ? undefined : await listNames(root)
    // The run writes where no checked change sees it: until it ends, the next checked change
    // measures again (what the run wrote by then is charged).
    limits.invalidate()
    let released: Promise<void> | undefined
    return {
      mounts: [mount],
      release: () => {
        released ??= limits.exclusive(() => settle(root, limits, files, before))
        return released
      },
    }
  })
}

/** The end of a run: charge what it wrote; past `maxFileCount`, remove what it created and refuse. */
async function settle(
  root: string,
  limits: WorkspaceLimits,
  files: WorkspaceFiles,
  before: WorkspaceNames | undefined,
): Promise<void> {
  limits.invalidate()
  const usage = await limits.usage()
  const { maxFileCount } = limits.values
  if (before === undefined || maxFileCount === undefined || usage.entries <= maxFileCount) return
  const created = await newNames(root, before)
  for (const path of created) await files.rm(path, true, true).catch(() => {})
  limits.invalidate()
  throw new SandboxLimitError({
    limit: 'maxFileCount',
    value: maxFileCount,
    message: `The sandbox's maxFileCount limit (${maxFileCount}) was exceeded by a Python run: it left ${usage.entries} files and directories. What the run created was removed (${created.length} new ${created.length === 1 ? 'entry' : 'entries'}${created.length > 0 ? `, e.g. ${created[0]}` : ''}); files it changed in place keep their changes.`,
  })
}

/** Every directory's entry names (links and other kinds are names, never followed). */
async function listNames(root: string): Promise<WorkspaceNames> {
  const names: WorkspaceNames = new Map()
  const pending = ['']
  while (pending.length > 0) {
    const relative = pending.pop()!
    const entries = await entriesOf(join(root, relative))
    if (entries === undefined) continue
    names.set(relative, new Set(entries.map((entry) => entry.name)))
    for (const entry of entries) if (entry.isDirectory()) pending.push(join(relative, entry.name))
  }
  return names
}

/**
 * The sandbox paths of the entries whose names are not in `before`, outermost only (a new
 * directory is one path, whatever it holds), sorted.
 */
async function newNames(root: string, before: WorkspaceNames): Promise<string[]> {
  const created: string[] = []
  const pending = ['']
  while (pending.length > 0) {
    const relative = pending.pop()!
    const known = before.get(relative)
    const entries = await entriesOf(join(root, relative))
    if (known === undefined || entries === undefined) continue
    for (const entry of entries) {
      const path = join(relative, entry.name)
      if (!known.has(entry.name)) created.push(`/${path}`)
      else if (entry.isDirectory()) pending.push(path)
    }
  }
  return created.sort()
}

async function entriesOf(directory: string): Promise<Dirent[] | undefined> {
  try {
    return await readdir(directory, { withFileTypes: true })
  } catch {
    return undefined
  }
}
