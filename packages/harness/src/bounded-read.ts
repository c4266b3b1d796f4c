/**
 * Bounded reads for the file tools and the `AGENTS.md` loader. The Sandbox contract reads whole
 * files only (`readFile`), so a file is looked at with `stat` first and refused above a size
 * limit, with a `SandboxLimitError` that tells the model how to read part of it; what is read
 * is checked again afterwards (a file that grew between `stat` and `readFile` is refused too,
 * though its bytes were read once).
 */
import { type Sandbox, SandboxFileError, SandboxLimitError } from '@pyflue/core'

/** The most bytes the `read` and `edit` tools read from one file. Default 8 MiB. */
export const DEFAULT_MAX_READ_BYTES = 8 * 1024 * 1024

/**
 * The text of the file at `path` when it is a regular file of at most `maxBytes` bytes; rejects
 * with `SandboxLimitError` (`maxFileBytes`) above it, with `SandboxFileError` (`EACCES`) for
 * what is not a regular file, and with the sandbox's own errors otherwise.
 */
export async function readBoundedText(
  sandbox: Sandbox,
  path: string,
  maxBytes: number,
  tool: string,
): Promise<string> {
  const where = sandbox.resolvePath(path)
  const info = await sandbox.stat(path)
  if (info.isDirectory) {
    throw new SandboxFileError({ errno: 'EISDIR', path: where, operation: tool })
  }
  if (!info.isFile) {
    throw new SandboxFileError({
      errno: 'EACCES',
      path: where,
      operation: tool,
      message: `${where} is not a regular file; the ${tool} tool reads regular files only.`,
    })
  }
  if (info.size !== undefined && info.size > maxBytes) throw tooBig(where, info.size, maxBytes, tool)
  const text = await sandbox.readFile(path)
  // Each UTF-8 byte decodes to at most one UTF-16 unit: more units than bytes allowed is too big.
  if (text.length > maxBytes) throw tooBig(where, text.length, maxBytes, tool)
  return text
}

function tooBig(where: string, size: number, maxBytes: number, tool: string): SandboxLimitError {
  return new SandboxLimitError({
    limit: 'maxFileBytes',
    value: maxBytes,
    message: `${where} is ${size} bytes, more than the ${tool} tool's limit of ${maxBytes}; read part of it with bash (head -c, tail -n, sed -n '1,200p') or search it with grep.`,
  })
}
