import { lstat, readlink } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { InvalidArgumentError, PathRefusedError, resolveSandboxPath, SandboxFileError } from '@pyflue/core'

/** The longest resolved sandbox path accepted, in UTF-8 bytes (room is left for the host prefix). */
export const MAX_PATH_BYTES = 3072
/** The longest single path segment accepted, in UTF-8 bytes (the usual file-system limit). */
export const MAX_SEGMENT_BYTES = 255
/** How many symbolic links one resolution may follow before it gives up (as Linux does). */
const MAX_SYMLINK_HOPS = 40

/**
 * Resolves `path` against `cwd` and checks that the result is a path this sandbox accepts:
 * a string without NUL bytes, at most `MAX_PATH_BYTES` long, no segment over `MAX_SEGMENT_BYTES`.
 * `..` never climbs above `/`, so every result names a place inside the workspace.
 */
export function checkedSandboxPath(cwd: string, path: unknown): string {
  if (typeof path !== 'string') {
    throw new InvalidArgumentError('path', `A sandbox path must be a string: got ${typeof path}.`)
  }
  if (path.includes('\0')) {
    throw new PathRefusedError({
      path: path.replace(/\0/g, '\\0'),
      reason: 'invalid',
      message: 'Path refused: it contains a NUL byte.',
    })
  }
  if (path === '') {
    throw new PathRefusedError({ path, reason: 'invalid', message: 'Path refused: it is empty.' })
  }
  const resolved = resolveSandboxPath(cwd, path)
  if (Buffer.byteLength(resolved) > MAX_PATH_BYTES) {
    throw new PathRefusedError({
      path: `${resolved.slice(0, 64)}…`,
      reason: 'too-long',
      message: `Path refused: it is longer than ${MAX_PATH_BYTES} bytes.`,
    })
  }
  for (const segment of resolved.split('/')) {
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new PathRefusedError({
        path: `${resolved.slice(0, 64)}…`,
        reason: 'too-long',
        message: `Path refused: the name '${segment.slice(0, 32)}…' is longer than ${MAX_SEGMENT_BYTES} bytes.`,
      })
    }
  }
  return resolved
}

/**
 * Maps an absolute, normalised sandbox path to the host path that holds it, following symbolic
 * links only while they stay inside `root` (the canonical workspace root).
 *
 * Every existing component is inspected with `lstat`. A symbolic link (every one on the way, and
 * the last component too when `followFinal`) is followed by reading its target: a target that
 * leaves `root` is refused with `PathRefusedError` (`symlink-escape`); one that stays inside is
 * resolved again from the root, so links inside links are checked too. Components that do not
 * exist are appended as they are. The result therefore names a place inside `root` whose
 * existing directories are all real (not links).
 */
export async function hostPathFor(
  root: string,
  sandboxPath: string,
  options: { followFinal: boolean; operation: string },
): Promise<string> {
  let pending = sandboxPath.split('/').filter(Boolean)
  let current = root
  let hops = 0
  for (let index = 0; index < pending.length; index++) {
    const next = join(current, pending[index]!)
    const last = index === pending.length - 1
    let isLink: boolean
    try {
      isLink = (await lstat(next)).isSymbolicLink()
    } catch {
      // Missing (or below a file): the rest does not exist, so nothing more can redirect it.
      return join(next, ...pending.slice(index + 1))
    }
    if (!isLink || (last && !options.followFinal)) {
      current = next
      continue
    }
    if (++hops > MAX_SYMLINK_HOPS) {
      throw new SandboxFileError({
        errno: 'EIO',
        path: sandboxPath,
        operation: options.operation,
        message: `${options.operation} ${sandboxPath}: too many levels of symbolic links`,
      })
    }
    const target = await readlink(next)
    const hostTarget = isAbsolute(target) ? resolve(target) : resolve(current, target)
    if (hostTarget !== root && !hostTarget.startsWith(`${root}/`)) {
      throw new PathRefusedError({
        path: sandboxPath,
        reason: 'symlink-escape',
        message: `Path refused: ${sandboxPath} goes through a symbolic link that points outside the sandbox.`,
      })
    }
    // Resolve the link's target again from the root, then carry on with what followed the link.
    pending = [...hostTarget.slice(root.length).split('/').filter(Boolean), ...pending.slice(index + 1)]
    current = root
    index = -1
  }
  return current
}
