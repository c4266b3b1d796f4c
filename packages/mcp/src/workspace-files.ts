// Reads a host directory into `files` for `createPyflueMcpServer` (the CLI's `--dir`): regular
// files only (links and special files are skipped, so nothing outside the directory is read),
// with caps on count and bytes so a wrong path cannot load a whole disk into memory.
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { InvalidArgumentError } from '@pyflue/core'

/** The most files and bytes `loadWorkspaceFiles` reads. */
export const WORKSPACE_LIMITS = { maxFiles: 10_000, maxBytes: 256 * 1024 * 1024 } as const

/** Sandbox path (relative, POSIX) → bytes of every regular file under `dir`. */
export async function loadWorkspaceFiles(dir: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {}
  let count = 0
  let bytes = 0
  const visit = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const child = join(path, entry.name)
      if (entry.isDirectory()) await visit(child)
      else if (entry.isFile()) {
        const content = await readFile(child)
        count += 1
        bytes += content.byteLength
        if (count > WORKSPACE_LIMITS.maxFiles || bytes > WORKSPACE_LIMITS.maxBytes) {
          throw new InvalidArgumentError(
            'dir',
            `The directory holds more than ${WORKSPACE_LIMITS.maxFiles} files or ${WORKSPACE_LIMITS.maxBytes} bytes.`,
          )
        }
        files[relative(dir, child).split(sep).join('/')] = content
      }
    }
  }
  await visit(dir)
  return files
}
