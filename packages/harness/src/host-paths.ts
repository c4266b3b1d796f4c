/**
 * Keeps host paths out of the text the model reads. A sandbox whose workspace is a host
 * directory (its `hostMounts()`) can let a raw error through that names the host path (`ENOENT:
 * no such file or directory, open '/tmp/pyflue-virtual-Ab12/ws/a.txt'`); every tool's text is
 * passed through a scrubber that rewrites each mount's host directory (as given and as its real
 * path) to its sandbox path, and the directory that holds it to `<host path>`.
 */
import { realpathSync } from 'node:fs'
import { dirname } from 'node:path'
import type { HostDirectoryMount, Sandbox } from '@pyflue/core'

/** What stands for a host path that has no sandbox path. */
export const HOST_PATH_PLACEHOLDER = '<host path>'

/** Rewrites host paths in a text; the identity when there is nothing to hide. */
export type HostPathScrubber = (text: string) => string

/** Characters that end a path in a message (a path never continues with them). */
const PATH_END = `(?=$|[/\\s'"\`:;,)\\]}>])`

/**
 * The scrubber of `sandbox`'s mounts, looked up on first use (a sandbox without host mounts
 * gets the identity). The mounts are read once: a sandbox's host directories do not move.
 */
export function sandboxHostPathScrubber(sandbox: Sandbox | undefined): HostPathScrubber {
  if (sandbox?.hostMounts === undefined) return (text) => text
  let scrub: HostPathScrubber | undefined
  return (text) => {
    scrub ??= hostPathScrubber(safeMounts(sandbox))
    return scrub(text)
  }
}

function safeMounts(sandbox: Sandbox): readonly HostDirectoryMount[] {
  try {
    return sandbox.hostMounts?.() ?? []
  } catch {
    return []
  }
}

/** A scrubber for `mounts`: each host directory becomes its sandbox path, its parent `<host path>`. */
export function hostPathScrubber(
  mounts: readonly Pick<HostDirectoryMount, 'hostDir' | 'sandboxPath'>[],
): HostPathScrubber {
  const replacements = new Map<string, string>()
  for (const mount of mounts) {
    for (const dir of variants(mount.hostDir)) {
      if (!replacements.has(dir)) replacements.set(dir, mount.sandboxPath)
      const parent = dirname(dir)
      if (parent.length > 1 && parent !== dir && !replacements.has(parent))
        replacements.set(parent, HOST_PATH_PLACEHOLDER)
    }
  }
  if (replacements.size === 0) return (text) => text
  // Longest first, so a mount's directory wins over its parent.
  const candidates = [...replacements.keys()].sort((a, b) => b.length - a.length)
  const pattern = new RegExp(`(${candidates.map(escapeRegExp).join('|')})${PATH_END}(/?)`, 'g')
  return (text) =>
    text.replace(pattern, (_, dir: string, slash: string) => {
      const replacement = replacements.get(dir)!
      if (replacement === HOST_PATH_PLACEHOLDER) return `${replacement}${slash}`
      if (replacement === '/') return '/'
      return `${replacement}${slash}`
    })
}

/** `dir` without a trailing slash, and its real path when that differs (e.g. `/tmp` as a link). */
function variants(dir: string): string[] {
  const out = new Set<string>()
  const trimmed = dir.length > 1 ? dir.replace(/\/+$/, '') : dir
  if (trimmed.length > 1) out.add(trimmed)
  try {
    const real = realpathSync.native(trimmed)
    if (real.length > 1) out.add(real)
  } catch {
    // A directory that is gone has no real path; the given one is still hidden.
  }
  return [...out]
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
