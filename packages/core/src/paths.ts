/**
 * POSIX path helpers shared by sandboxes. They never touch files.
 */

/** Normalises an absolute POSIX path: collapses `//`, resolves `.` and `..` (never above `/`). */
export function normalizeAbsolutePath(path: string): string {
  const parts: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') parts.pop()
    else parts.push(segment)
  }
  return `/${parts.join('/')}`
}

/** Resolves `path` against the absolute directory `cwd`; absolute paths are only normalised. */
export function resolveSandboxPath(cwd: string, path: string): string {
  return normalizeAbsolutePath(path.startsWith('/') ? path : `${cwd}/${path}`)
}

/** The parent directory of an absolute normalised path (`/` for `/`). */
export function parentPath(path: string): string {
  const index = path.lastIndexOf('/')
  return index <= 0 ? '/' : path.slice(0, index)
}

/** True when the absolute normalised `path` is `root` or inside it. */
export function isInsidePath(root: string, path: string): boolean {
  if (root === '/') return path.startsWith('/')
  return path === root || path.startsWith(`${root}/`)
}
