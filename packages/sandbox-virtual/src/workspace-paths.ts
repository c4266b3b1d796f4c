import { InvalidArgumentError, PathRefusedError, resolveSandboxPath } from '@pyflue/core'

/** The longest resolved sandbox path accepted, in UTF-8 bytes (room is left for the host prefix). */
export const MAX_PATH_BYTES = 3072
/** The longest single path segment accepted, in UTF-8 bytes (the usual file-system limit). */
export const MAX_SEGMENT_BYTES = 255

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
