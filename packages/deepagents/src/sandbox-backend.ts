// Any PyFlue `Sandbox` (virtual, E2B, Vercel, a third party's) as a Deep Agents
// `SandboxBackendProtocolV2`, so Deep Agents' `ls`, `read_file`, `write_file`, `edit_file`,
// `glob`, `grep` and `execute` tools work on the sandbox's files and shell. Every operation goes
// through the sandbox's own verbs, so its path rules and its policy (`withSandboxPolicy`) apply:
// a refusal comes back to the model as the tool's error and changes nothing. Python run by
// `run_code` with the same sandbox sees the same files (the backend mounts them), both ways.
// The protocol reports failures as values (`{ error }`), never as rejections; messages name
// sandbox paths only.
import { randomUUID } from 'node:crypto'
import {
  CommandRefusedError,
  InvalidArgumentError,
  isAbortError,
  isPyFlueError,
  PathRefusedError,
  refuseUnknownKeys,
  type Sandbox,
  SandboxFileError,
  WriteRefusedError,
} from '@pyflue/core'
import type {
  EditResult,
  ExecuteResponse,
  FileDownloadResponse,
  FileInfo,
  FileOperationError,
  FileUploadResponse,
  GlobResult,
  GrepMatch,
  GrepResult,
  LsResult,
  ReadRawResult,
  ReadResult,
  SandboxBackendProtocolV2,
  WriteResult,
} from 'deepagents'
import { globToRegExp } from './glob-pattern.js'

/** Options of `sandboxBackend`. */
export interface SandboxBackendOptions {
  /** Deadline of one `execute` command in milliseconds (exit code 124 when it expires). Default 120000. */
  executeTimeoutMs?: number
  /** Cap on the output of one `execute`, in characters; longer output is cut and flagged `truncated`. Default 100000. */
  maxOutputChars?: number
  /** Most directory entries `glob` and `grep` visit before they stop and flag `truncated`. Default 20000. */
  maxWalkEntries?: number
  /** Files larger than this many bytes are skipped by `grep`. Default 5 MB. */
  maxGrepFileBytes?: number
}

const OPTION_KEYS = Object.keys({
  executeTimeoutMs: true,
  maxOutputChars: true,
  maxWalkEntries: true,
  maxGrepFileBytes: true,
} satisfies Record<keyof SandboxBackendOptions, true>)

/** A Deep Agents sandbox backend over a PyFlue sandbox. */
export interface PyflueSandboxBackend extends SandboxBackendProtocolV2 {
  /** The sandbox every operation runs in. */
  readonly sandbox: Sandbox
}

/** The exit code `execute` reports for a command the sandbox's policy refused (nothing ran). */
export const REFUSED_EXIT_CODE = 126

/** Extensions whose files are returned as bytes, with their MIME type. Everything else is read as UTF-8 text. */
const BINARY_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
}

const TEXT_TYPES: Readonly<Record<string, string>> = {
  '.md': 'text/markdown',
  '.html': 'text/html',
  '.css': 'text/css',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
}

/** The message Deep Agents' own backends give for an empty file. */
const EMPTY_FILE_NOTE = 'System reminder: File exists but has empty contents'

/**
 * Wraps `sandbox` as a Deep Agents backend. Paths are the sandbox's (absolute, or relative to
 * its `cwd`); `ls`, `glob` and `grep` answer absolute sandbox paths, directories ending in `/`.
 *
 * - `read(path, offset = 0, limit = 500)` pages a text file by lines (0-indexed `offset`);
 *   images, PDFs and other binary types, and bytes that are not UTF-8, come back as bytes with
 *   their MIME type.
 * - `write` creates or replaces a file, creating parent directories; `edit` replaces one
 *   occurrence of a string (all with `replaceAll`), refusing none or several.
 * - `glob(pattern, path = '/')` lists the files whose path relative to `path` matches; `grep`
 *   finds a literal string in text files (a `glob` without `/` filters by file name).
 * - `execute(command)` runs in the sandbox's shell: stdout, then stderr lines prefixed
 *   `[stderr] `, and the exit code; a command the policy refuses answers its reason with exit
 *   code 126 and runs nothing.
 */
export function sandboxBackend(sandbox: Sandbox, options: SandboxBackendOptions = {}): PyflueSandboxBackend {
  refuseUnknownKeys(options, OPTION_KEYS, 'sandboxBackend options')
  if (typeof sandbox !== 'object' || sandbox === null || typeof sandbox.readFileBuffer !== 'function') {
    throw new InvalidArgumentError('sandbox', 'sandboxBackend needs a PyFlue Sandbox.')
  }
  const timeoutMs = positive(options.executeTimeoutMs ?? 120_000, 'executeTimeoutMs')
  const maxOutput = positive(options.maxOutputChars ?? 100_000, 'maxOutputChars')
  const maxEntries = positive(options.maxWalkEntries ?? 20_000, 'maxWalkEntries')
  const maxGrepBytes = positive(options.maxGrepFileBytes ?? 5 * 1024 * 1024, 'maxGrepFileBytes')
  const id = sandbox.id ?? `pyflue-${sandbox.name}-${randomUUID().slice(0, 8)}`

  const readText = async (
    path: string,
  ): Promise<{ text: string } | { bytes: Uint8Array; mimeType: string }> => {
    const bytes = await sandbox.readFileBuffer(path)
    const binary = BINARY_TYPES[extension(path)]
    if (binary) return { bytes, mimeType: binary }
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) }
    } catch {
      return { bytes, mimeType: 'application/octet-stream' }
    }
  }

  return {
    id,
    sandbox,

    async ls(path: string): Promise<LsResult> {
      try {
        const dir = sandbox.resolvePath(path || '/')
        const files: FileInfo[] = []
        for (const name of await sandbox.readdir(dir)) {
          const child = joinPath(dir, name)
          try {
            files.push(await fileInfo(sandbox, child))
          } catch {
            // A file removed while listing is left out.
          }
        }
        return { files }
      } catch (error) {
        return { error: fileError('list', path, error) }
      }
    },

    async read(path: string, offset = 0, limit = 500): Promise<ReadResult> {
      try {
        const content = await readText(path)
        if ('bytes' in content) return { content: content.bytes, mimeType: content.mimeType }
        const mimeType = mimeTypeOf(path)
        if (content.text.trim() === '') return { content: EMPTY_FILE_NOTE, mimeType }
        const start = Number.isFinite(offset) ? Math.max(0, Math.floor(offset)) : 0
        const count = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0
        const lines = content.text.split('\n')
        const totalLines = lines.at(-1) === '' ? lines.length - 1 : lines.length
        if (start >= totalLines)
          return { error: `Line offset ${start} exceeds file length (${totalLines} lines)` }
        const end = Math.min(start + count, totalLines)
        const selected = lines.slice(start, Math.min(start + count, lines.length))
        if (selected.length === 0 || count === 0) return { content: selected.join('\n'), mimeType }
        return {
          content: selected.join('\n'),
          mimeType,
          totalLines,
          startLine: start + 1,
          endLine: end,
          ...(end < totalLines ? { nextOffset: end } : {}),
        }
      } catch (error) {
        return { error: fileError('read', path, error) }
      }
    },

    async readRaw(path: string): Promise<ReadRawResult> {
      try {
        const [content, stat] = await Promise.all([readText(path), sandbox.stat(path)])
        const modified = (stat.mtime ?? new Date(0)).toISOString()
        return {
          data: {
            content: 'text' in content ? content.text : content.bytes,
            mimeType: 'text' in content ? mimeTypeOf(path) : content.mimeType,
            created_at: modified,
            modified_at: modified,
          },
        }
      } catch (error) {
        return { error: fileError('read', path, error) }
      }
    },

    async write(path: string, content: string): Promise<WriteResult> {
      try {
        await sandbox.writeFile(path, content)
        return { path, filesUpdate: null }
      } catch (error) {
        return { error: fileError('write', path, error) }
      }
    },

    async edit(path: string, oldString: string, newString: string, replaceAll = false): Promise<EditResult> {
      try {
        const content = await readText(path)
        if (!('text' in content)) return { error: `Error: '${path}' is not a text file` }
        const replaced = replaceString(content.text, oldString, newString, replaceAll)
        if (typeof replaced === 'string') return { error: replaced }
        await sandbox.writeFile(path, replaced.text)
        return { path, filesUpdate: null, occurrences: replaced.occurrences }
      } catch (error) {
        return { error: fileError('edit', path, error) }
      }
    },

    async delete(path: string) {
      try {
        await sandbox.rm(path, { recursive: true })
        return { path }
      } catch (error) {
        return { error: fileError('delete', path, error) }
      }
    },

    async glob(pattern: string, path = '/'): Promise<GlobResult> {
      try {
        const matcher = globToRegExp(pattern.replace(/^\/+/, ''))
        const walked = await walk(sandbox, sandbox.resolvePath(path || '/'), maxEntries)
        const files = walked.files.filter((file) => matcher.test(file.relative)).map((file) => file.info)
        return walked.truncated ? { files, truncated: true } : { files }
      } catch (error) {
        return { error: fileError('glob', path, error) }
      }
    },

    async grep(
      pattern: string,
      path?: string | null,
      glob?: string | null,
      maxCount?: number | null,
    ): Promise<GrepResult> {
      try {
        const root = sandbox.resolvePath(path || '/')
        const rootStat = await sandbox.stat(root)
        const walked = rootStat.isDirectory
          ? await walk(sandbox, root, maxEntries)
          : { files: [{ relative: basename(root), info: await fileInfo(sandbox, root) }], truncated: false }
        const filter = glob ? globToRegExp(glob) : undefined
        const matches: GrepMatch[] = []
        for (const file of walked.files) {
          if (filter && !filter.test(glob!.includes('/') ? file.relative : basename(file.relative))) continue
          if ((file.info.size ?? 0) > maxGrepBytes) continue
          let content: Awaited<ReturnType<typeof readText>>
          try {
            content = await readText(file.info.path)
          } catch {
            continue
          }
          if (!('text' in content)) continue
          content.text.split('\n').forEach((line, index) => {
            if (line.includes(pattern)) matches.push({ path: file.info.path, line: index + 1, text: line })
          })
          if (maxCount && matches.length >= maxCount) {
            return { matches: matches.slice(0, maxCount), truncated: true }
          }
        }
        return walked.truncated ? { matches, truncated: true } : { matches }
      } catch (error) {
        return { error: fileError('grep', path ?? '/', error) }
      }
    },

    async execute(command: string): Promise<ExecuteResponse> {
      try {
        const result = await sandbox.exec(command, { timeoutMs })
        const stderr = result.stderr
          .split('\n')
          .filter((line, index, all) => line !== '' || index < all.length - 1)
          .map((line) => `[stderr] ${line}`)
          .join('\n')
        let output = result.stdout
        if (stderr !== '') output += `${output === '' || output.endsWith('\n') ? '' : '\n'}${stderr}`
        const truncated = output.length > maxOutput
        return {
          output: truncated ? output.slice(0, maxOutput) : output,
          exitCode: result.exitCode,
          truncated,
        }
      } catch (error) {
        if (isAbortError(error)) throw error
        if (error instanceof CommandRefusedError) {
          return {
            output: `Error: ${error.message} (${error.code})`,
            exitCode: REFUSED_EXIT_CODE,
            truncated: false,
          }
        }
        return { output: `Error: ${describe(error)}`, exitCode: null, truncated: false }
      }
    },

    async uploadFiles(files: Array<[string, Uint8Array]>): Promise<FileUploadResponse[]> {
      const responses: FileUploadResponse[] = []
      for (const [path, content] of files) {
        try {
          await sandbox.writeFile(path, content)
          responses.push({ path, error: null })
        } catch (error) {
          responses.push({ path, error: operationError(error) })
        }
      }
      return responses
    },

    async downloadFiles(paths: string[]): Promise<FileDownloadResponse[]> {
      const responses: FileDownloadResponse[] = []
      for (const path of paths) {
        try {
          responses.push({ path, content: await sandbox.readFileBuffer(path), error: null })
        } catch (error) {
          responses.push({ path, content: null, error: operationError(error) })
        }
      }
      return responses
    },
  }
}

interface WalkedFile {
  /** The path relative to the walk's root, `/`-separated. */
  relative: string
  info: FileInfo
}

/** The files under `root` (names sorted, depth first), at most `maxEntries` entries visited. */
async function walk(
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
    } catch (error) {
      if (dir === root) throw error
      continue
    }
    const subdirectories: { dir: string; relative: string }[] = []
    for (const name of names) {
      visited += 1
      if (visited > maxEntries) return { files, truncated: true }
      const path = joinPath(dir, name)
      const rel = relative === '' ? name : `${relative}/${name}`
      try {
        const info = await fileInfo(sandbox, path)
        if (info.is_dir) subdirectories.push({ dir: path, relative: rel })
        else files.push({ relative: rel, info })
      } catch {
        // Removed while walking, or unreadable: left out.
      }
    }
    stack.push(...subdirectories.reverse())
  }
  return { files, truncated: false }
}

async function fileInfo(sandbox: Sandbox, path: string): Promise<FileInfo> {
  const stat = await sandbox.stat(path)
  return {
    path: stat.isDirectory ? `${path}/` : path,
    is_dir: stat.isDirectory,
    ...(stat.size !== undefined ? { size: stat.isDirectory ? 0 : stat.size } : {}),
    ...(stat.mtime ? { modified_at: stat.mtime.toISOString() } : {}),
  }
}

/** Deep Agents' replacement rule: exactly one occurrence unless `replaceAll`; an error text otherwise. */
function replaceString(
  content: string,
  oldString: string,
  newString: string,
  replaceAll: boolean,
): { text: string; occurrences: number } | string {
  if (content === '' && oldString === '') return { text: newString, occurrences: 0 }
  if (oldString === '') return 'Error: oldString cannot be empty when file has content'
  const occurrences = content.split(oldString).length - 1
  if (occurrences === 0) return `Error: String not found in file: '${oldString}'`
  if (occurrences > 1 && !replaceAll) {
    return `Error: String '${oldString}' has multiple occurrences (appears ${occurrences} times) in file. Use replace_all=True to replace all instances, or provide a more specific string with surrounding context.`
  }
  return { text: content.split(oldString).join(newString), occurrences }
}

/** The error text of a failed file operation: the sandbox's own message (it names sandbox paths only). */
function fileError(operation: string, path: string, error: unknown): string {
  if (isAbortError(error)) throw error
  if (error instanceof SandboxFileError && error.errno === 'ENOENT') {
    return operation === 'list' || operation === 'glob' || operation === 'grep'
      ? `Error: Path '${path}' not found`
      : `Error: File '${path}' not found`
  }
  if (error instanceof SandboxFileError && error.errno === 'EISDIR') return `Error: '${path}' is a directory`
  return `Error: ${describe(error)}`
}

function describe(error: unknown): string {
  if (isPyFlueError(error)) return `${error.message} (${error.code})`
  return error instanceof Error ? error.message : String(error)
}

function operationError(error: unknown): FileOperationError {
  if (error instanceof SandboxFileError) {
    if (error.errno === 'ENOENT') return 'file_not_found'
    if (error.errno === 'EISDIR') return 'is_directory'
    if (error.errno === 'EACCES') return 'permission_denied'
  }
  if (error instanceof WriteRefusedError) return 'permission_denied'
  if (error instanceof PathRefusedError)
    return error.reason === 'policy' ? 'permission_denied' : 'invalid_path'
  return 'invalid_path'
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function extension(path: string): string {
  const name = basename(path).toLowerCase()
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(dot) : ''
}

function mimeTypeOf(path: string): string {
  return TEXT_TYPES[extension(path)] ?? 'text/plain'
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(name, `${name} must be a positive integer: got ${value}`)
  }
  return value
}
