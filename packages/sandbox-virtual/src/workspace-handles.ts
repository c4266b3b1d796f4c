/**
 * Race-safe host access to the workspace for the sandbox's file verbs. Every entry is reached
 * through its parent directory opened and then verified to be the expected directory, and is named
 * relative to that open descriptor, so no rename or link made meanwhile can redirect it outside.
 */
import { constants, existsSync } from 'node:fs'
import { type FileHandle, lstat, open, readlink } from 'node:fs/promises'
import { PathRefusedError, SandboxFileError } from '@pyflue/core'

/**
 * On Linux, `/proc/self/fd/N` names the very object descriptor N holds: a path through it cannot be
 * redirected by renaming or swapping the path the descriptor was opened by, and `readlink` of it
 * says where that object is now. Elsewhere the verbs fall back to opening by path without
 * following the final link (documented as weaker in the README).
 */
const PINNED = process.platform === 'linux' && existsSync('/proc/self/fd')

const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW
/** `O_NONBLOCK`: opening a FIFO (or a device) returns at once instead of waiting for a writer. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

/** An open, verified directory of the workspace; `entry(name)` names a child through it. */
export interface PinnedDirectory {
  /** A host path for the child `name` that resolves through this open directory, never by name. */
  entry(name: string): string
  /** A host path for the directory itself. */
  readonly self: string
  close(): Promise<void>
}

/** The error for a path that goes through a symbolic link (the workspace never holds one). */
export function linkRefused(sandboxPath: string): PathRefusedError {
  return new PathRefusedError({
    path: sandboxPath,
    reason: 'symlink-escape',
    message: `Path refused: ${sandboxPath} goes through a symbolic link, and this sandbox refuses every link.`,
  })
}

/** The error for a FIFO, socket or device: never opened for reading, so nothing blocks on it. */
export function notRegularRefused(operation: string, sandboxPath: string): SandboxFileError {
  return new SandboxFileError({
    errno: 'EACCES',
    path: sandboxPath,
    operation,
    message: `${operation} ${sandboxPath}: not a regular file or directory (a FIFO, socket or device); refused`,
  })
}

/**
 * Opens the workspace directory `sandboxPath` (absolute, normalised) and verifies that the
 * descriptor holds exactly `root + sandboxPath`: if any component was a link (or was swapped for
 * one while opening), the real path differs and the directory is refused with `PathRefusedError`.
 * Opening a directory has no effect on it, so a refused one was not touched. Missing components
 * reject with the Node error (`ENOENT`/`ENOTDIR`), for the caller to translate. A refusal names
 * `reportAs` (the path the caller asked for).
 */
export async function openDirectory(
  root: string,
  sandboxPath: string,
  reportAs: string = sandboxPath,
): Promise<PinnedDirectory> {
  const expected = sandboxPath === '/' ? root : `${root}${sandboxPath}`
  let handle: FileHandle
  try {
    handle = await open(expected, DIRECTORY_FLAGS)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw linkRefused(reportAs)
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR' && (await isLink(expected))) {
      throw linkRefused(reportAs)
    }
    throw error
  }
  if (!PINNED) return byPath(handle, expected)
  const self = `/proc/self/fd/${handle.fd}`
  let real: string
  try {
    real = await readlink(self)
  } catch (error) {
    await handle.close()
    throw error
  }
  if (real !== expected) {
    await handle.close()
    throw linkRefused(reportAs)
  }
  return { self, entry: (name) => `${self}/${name}`, close: () => handle.close() }
}

function byPath(handle: FileHandle, expected: string): PinnedDirectory {
  return { self: expected, entry: (name) => `${expected}/${name}`, close: () => handle.close() }
}

async function isLink(path: string): Promise<boolean> {
  return lstat(path).then(
    (stat) => stat.isSymbolicLink(),
    () => false,
  )
}

/** Runs `work` with the parent directory of `sandboxPath` pinned, and the entry's base name. */
export async function withParent<T>(
  root: string,
  sandboxPath: string,
  work: (parent: PinnedDirectory, name: string) => Promise<T>,
): Promise<T> {
  const cut = sandboxPath.lastIndexOf('/')
  const parent = await openDirectory(root, sandboxPath.slice(0, cut) || '/', sandboxPath)
  try {
    return await work(parent, sandboxPath.slice(cut + 1))
  } finally {
    await parent.close()
  }
}

/**
 * Opens the regular file `sandboxPath` for reading through its pinned parent, without following a
 * link and without blocking: a link is refused (`PathRefusedError`), a directory is `EISDIR`, a
 * FIFO, socket or device is refused (`notRegularRefused`) before a byte is read.
 */
export async function openRegularFile(
  root: string,
  sandboxPath: string,
  operation: string,
): Promise<FileHandle> {
  return withParent(root, sandboxPath, async (parent, name) => {
    let handle: FileHandle
    try {
      handle = await open(parent.entry(name), READ_FLAGS)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ELOOP') throw linkRefused(sandboxPath)
      // A Unix socket cannot be opened at all.
      if (code === 'ENXIO' || code === 'EOPNOTSUPP') throw notRegularRefused(operation, sandboxPath)
      throw error
    }
    let stat: Awaited<ReturnType<FileHandle['stat']>>
    try {
      stat = await handle.stat()
    } catch (error) {
      // The handle is this function's until it is returned: closed on every other way out.
      await handle.close().catch(() => {})
      throw error
    }
    if (stat.isFile()) return handle
    await handle.close()
    if (stat.isDirectory()) throw new SandboxFileError({ errno: 'EISDIR', path: sandboxPath, operation })
    throw notRegularRefused(operation, sandboxPath)
  })
}
