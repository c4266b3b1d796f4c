// Test-only: the reverse of `sandboxBackend`. It turns a Deep Agents `SandboxBackendProtocolV2`
// back into a PyFlue `Sandbox`, using nothing but the protocol's methods, so the testkit's
// `describeSandboxContract` can check what survives the round trip `Sandbox → protocol → Sandbox`.
// Each verb is written the way a protocol user would: `exec` is `execute` (the `[stderr] `
// lines split back, `cwd`/`env` spelt as shell text), file contents go through
// `downloadFiles`/`uploadFiles` (their `FileOperationError` codes mapped to errnos), `stat` is an
// entry of `ls(parent)`, `mkdir` writes and deletes a marker file, `rm` is `stat` then `delete`.
// The protocol has no per-command deadline and no abort signal: those options are refused with
// `SandboxOperationUnsupportedError`, never ignored.
import { randomUUID } from 'node:crypto'
import {
  type FileStat,
  PathRefusedError,
  parentPath,
  refuseUnknownKeys,
  type Sandbox,
  type SandboxFileErrno,
  SandboxFileError,
  SandboxOperationUnsupportedError,
  type ShellResult,
  sandboxFromDriver,
} from '@pyflue/core'
import type { FileInfo, FileOperationError, SandboxBackendProtocolV2 } from 'deepagents'

const STDERR_PREFIX = '[stderr] '

/**
 * A PyFlue `Sandbox` over `backend`. Its `cwd` is `options.cwd`, or else what `pwd` answers
 * through `execute` (give it when the backend's shell is refused).
 */
export async function protocolSandbox(
  backend: SandboxBackendProtocolV2,
  options: { cwd?: string } = {},
): Promise<Sandbox> {
  refuseUnknownKeys(options, ['cwd'], 'protocolSandbox options')
  const { uploadFiles, downloadFiles, delete: remove } = backend
  if (!uploadFiles || !downloadFiles || !remove) {
    throw new Error('protocolSandbox needs a backend with uploadFiles, downloadFiles and delete.')
  }
  const cwd = options.cwd ?? (await cwdOf(backend))

  const stat = async (path: string): Promise<FileStat> => {
    if (path === '/') {
      const root = await backend.ls('/')
      if (root.error) throw new SandboxFileError({ errno: 'ENOENT', path, operation: 'stat' })
      return { isFile: false, isDirectory: true }
    }
    const listed = await backend.ls(parentPath(path))
    const entry = listed.files?.find((file: FileInfo) => file.path === path || file.path === `${path}/`)
    if (!entry) throw new SandboxFileError({ errno: 'ENOENT', path, operation: 'stat' })
    const isDirectory = entry.is_dir === true
    return {
      isFile: !isDirectory,
      isDirectory,
      ...(entry.size !== undefined && !isDirectory ? { size: entry.size } : {}),
      ...(entry.modified_at ? { mtime: new Date(entry.modified_at) } : {}),
    }
  }

  const download = async (path: string, operation: string): Promise<Uint8Array> => {
    const [response] = await downloadFiles.call(backend, [path])
    if (!response || response.error || !response.content) {
      throw fileError(response?.error ?? 'invalid_path', path, operation)
    }
    return response.content
  }

  const upload = async (path: string, content: Uint8Array, operation: string): Promise<void> => {
    const [response] = await uploadFiles.call(backend, [[path, content]])
    if (!response || response.error) throw fileError(response?.error ?? 'invalid_path', path, operation)
  }

  return sandboxFromDriver(
    {
      async exec(command, options): Promise<ShellResult> {
        if (options.timeoutMs !== undefined) {
          throw new SandboxOperationUnsupportedError({
            operation: 'exec',
            option: 'timeoutMs',
            message: "The protocol's execute takes no deadline (sandboxBackend's executeTimeoutMs is it).",
          })
        }
        if (options.signal !== undefined) {
          throw new SandboxOperationUnsupportedError({
            operation: 'exec',
            option: 'signal',
            message: "The protocol's execute takes no abort signal.",
          })
        }
        const exports = Object.entries(options.env ?? {})
          .map(([name, value]) => `export ${name}=${shellQuote(value)}; `)
          .join('')
        const response = await backend.execute(`cd ${shellQuote(options.cwd)} && { ${exports}${command}\n}`)
        return splitOutput(response.output, response.exitCode ?? 1)
      },
      async readFile(path) {
        return new TextDecoder().decode(await download(path, 'readFile'))
      },
      readFileBuffer: (path) => download(path, 'readFileBuffer'),
      async writeFile(path, content) {
        await upload(
          path,
          typeof content === 'string' ? new TextEncoder().encode(content) : content,
          'writeFile',
        )
      },
      stat,
      async readdir(path) {
        const own = await stat(path)
        if (!own.isDirectory) throw new SandboxFileError({ errno: 'ENOTDIR', path, operation: 'readdir' })
        const listed = await backend.ls(path)
        if (listed.error || !listed.files)
          throw new SandboxFileError({ errno: 'ENOENT', path, operation: 'readdir' })
        return listed.files.map((file: FileInfo) => {
          const name = file.path.endsWith('/') ? file.path.slice(0, -1) : file.path
          return name.slice(name.lastIndexOf('/') + 1)
        })
      },
      async exists(path) {
        return stat(path).then(
          () => true,
          () => false,
        )
      },
      async mkdir(path, { recursive }) {
        const existing = await stat(path).catch(() => undefined)
        if (existing) {
          if (recursive && existing.isDirectory) return
          throw new SandboxFileError({ errno: 'EEXIST', path, operation: 'mkdir' })
        }
        if (!recursive) {
          const parent = await stat(parentPath(path)).catch(() => undefined)
          if (!parent) throw new SandboxFileError({ errno: 'ENOENT', path, operation: 'mkdir' })
          if (!parent.isDirectory) throw new SandboxFileError({ errno: 'ENOTDIR', path, operation: 'mkdir' })
        }
        const marker = `${path}/.pyflue-mkdir-${randomUUID()}`
        await upload(marker, new Uint8Array(), 'mkdir')
        const removed = await remove.call(backend, marker)
        if (removed.error) throw new Error(`mkdir ${path}: the marker file stayed: ${removed.error}`)
      },
      async rm(path, { recursive, force }) {
        const existing = await stat(path).catch(() => undefined)
        if (!existing) {
          if (force) return
          throw new SandboxFileError({ errno: 'ENOENT', path, operation: 'rm' })
        }
        if (existing.isDirectory && !recursive) {
          throw new SandboxFileError({ errno: 'EISDIR', path, operation: 'rm' })
        }
        const removed = await remove.call(backend, path)
        if (removed.error) throw new Error(`rm ${path}: ${removed.error}`)
      },
    },
    { name: 'deepagents-protocol', cwd, id: backend.id, createsParents: true },
  )
}

/** The backend shell's working directory, asked with `pwd`. */
async function cwdOf(backend: SandboxBackendProtocolV2): Promise<string> {
  const pwd = await backend.execute('pwd')
  const cwd = pwd.output.trim()
  if (pwd.exitCode !== 0 || !cwd.startsWith('/')) throw new Error(`pwd through execute failed: ${pwd.output}`)
  return cwd
}

/** `execute`'s combined output back into stdout and stderr: `[stderr] ` lines are stderr. */
function splitOutput(output: string, exitCode: number): ShellResult {
  let stdout = ''
  let stderr = ''
  const lines = output.split('\n')
  lines.forEach((line, index) => {
    const last = index === lines.length - 1
    if (line.startsWith(STDERR_PREFIX)) stderr += `${line.slice(STDERR_PREFIX.length)}\n`
    else if (!last) stdout += `${line}\n`
    else stdout += line
  })
  return { stdout, stderr, exitCode }
}

/** A protocol `FileOperationError` as our typed error: an errno, or a refused path for `invalid_path`. */
function fileError(code: FileOperationError, path: string, operation: string): Error {
  if (code === 'invalid_path') return new PathRefusedError({ path, reason: 'invalid' })
  const errno: Record<Exclude<FileOperationError, 'invalid_path'>, SandboxFileErrno> = {
    file_not_found: 'ENOENT',
    is_directory: 'EISDIR',
    permission_denied: 'EACCES',
  }
  return new SandboxFileError({ errno: errno[code], path, operation })
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}
