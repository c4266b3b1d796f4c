import type { Sandbox } from '@pyflue/core'

/** Directories the file tools do not descend into unless asked to. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git'])

export interface WalkedFile {
  /** The absolute sandbox path. */
  path: string
  /** The path relative to the walk's root, `/`-separated. */
  relative: string
}

/**
 * Lists the files under `root` (depth first, names sorted), at most `maxEntries` entries
 * visited. Unreadable directories are skipped. Returns the files and whether the walk stopped
 * early.
 */
export async function walkSandboxFiles(
  sandbox: Sandbox,
  root: string,
  maxEntries: number,
): Promise<{ files: WalkedFile[]; truncated: boolean }> {
  const files: WalkedFile[] = []
  let visited = 0
  const stack: { dir: string; relative: string }[] = [{ dir: root, relative: '' }]
  while (stack.length > 0) {
    const { dir, relative } = stack.pop()!
    let names: string[]
    try {
      names = await sandbox.readdir(dir)
    } catch {
      continue
    }
    const subdirectories: { dir: string; relative: string }[] = []
    for (const name of names) {
      visited++
      if (visited > maxEntries) return { files, truncated: true }
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`
      const rel = relative === '' ? name : `${relative}/${name}`
      let isDirectory = false
      try {
        isDirectory = (await sandbox.stat(path)).isDirectory
      } catch {
        continue
      }
      if (isDirectory) {
        if (!SKIPPED_DIRECTORIES.has(name)) subdirectories.push({ dir: path, relative: rel })
      } else {
        files.push({ path, relative: rel })
      }
    }
    stack.push(...subdirectories.reverse())
  }
  return { files, truncated: false }
}
