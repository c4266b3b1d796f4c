import type { ResolvedSandboxPolicy } from './sandbox-policy.js'

/**
 * The contract version this file describes; a sandbox states it in `Sandbox.contractVersion`.
 */
export const SANDBOX_CONTRACT_VERSION = 1 as const

/** What every finished command resolves with, non-zero exits included. */
export interface ShellResult {
  stdout: string
  stderr: string
  /** The exit code; `124` when `timeoutMs` expired (the `timeout(1)` convention). */
  exitCode: number
}

/** Options of one `exec`. */
export interface ExecOptions {
  /** Working directory; a relative value resolves against `Sandbox.cwd`. Defaults to `Sandbox.cwd`. */
  cwd?: string
  /** Variables layered over the sandbox's base environment for this command only. */
  env?: Record<string, string>
  /**
   * Wall-clock deadline in milliseconds. When it expires the command is stopped and `exec`
   * resolves with `exitCode: 124` and a note on `stderr`. Providers with coarser units round up.
   */
  timeoutMs?: number
  /** Aborting rejects `exec` promptly with a `DOMException` named `AbortError` whose `cause` is the signal's reason. */
  signal?: AbortSignal
}

/** The keys of `ExecOptions`; `exec` refuses any other with `InvalidArgumentError`. */
export const EXEC_OPTION_KEYS = Object.keys({
  cwd: true,
  env: true,
  timeoutMs: true,
  signal: true,
} satisfies Record<keyof ExecOptions, true>)

/**
 * File metadata. `isSymbolicLink`, `size` and `mtime` are omitted when the provider does not
 * expose them; they are never invented. For a symlink, `isFile`, `isDirectory`, `size` and
 * `mtime` describe the target and `isSymbolicLink` the link itself.
 */
export interface FileStat {
  isFile: boolean
  isDirectory: boolean
  isSymbolicLink?: boolean
  size?: number
  mtime?: Date
}

/**
 * A directory of the sandbox that also exists on this host, so an in-process Python backend
 * can mount it instead of copying files. `sandboxPath` (absolute, POSIX) shows the same files
 * as `hostDir` (absolute host path).
 */
export interface HostDirectoryMount {
  sandboxPath: string
  hostDir: string
  /** `'read-only'` when the sandbox's policy refuses writes. */
  mode: 'read-write' | 'read-only'
  /**
   * The most bytes a backend may let one run write through this mount, when the sandbox has a
   * size budget (what remains of it). Absent: no budget from the sandbox; the backend's own
   * per-run write cap still applies. Mounts are asked for again before every run.
   */
  writeBytesLimit?: number
}

/**
 * The mounts of one Python run, from `Sandbox.openHostMounts()`, and the end of that run.
 * See "Host mounts" in the `Sandbox` contract.
 */
export interface HostMountLease {
  /** The mounts for this run: what `hostMounts()` answered when the lease was opened. */
  readonly mounts: readonly HostDirectoryMount[]
  /**
   * Ends the run that had these mounts: call it once the run ended, whatever its outcome (in a
   * `finally`). Resolves once what the run wrote is charged to the sandbox's limits; rejects with
   * `SandboxLimitError` (naming the limit) when the run left the mounted files over a limit its
   * mount could not enforce, after removing every entry that appeared in the mounted directories
   * while the lease was open. A second call does nothing.
   */
  release(): Promise<void>
}

/**
 * A place where shell commands run and files live.
 *
 * Paths
 * - Paths are POSIX, `/`-separated. Every file verb accepts absolute and relative paths;
 *   a relative path resolves against `cwd`.
 * - `cwd` is the sandbox's working directory, an absolute path.
 * - `resolvePath(p)` returns the normalised absolute path for `p` without touching the files;
 *   two spellings of one path resolve to the same string.
 *
 * exec
 * - Resolves with a `ShellResult` for every command that finished, whatever its exit code.
 * - Rejects only for a transport failure (a `PyFlueError`, e.g. `SandboxProviderError`),
 *   a refusal by a policy (`CommandRefusedError`, before anything ran), or an abort
 *   (a `DOMException` named `AbortError`; an already-aborted signal rejects before the
 *   command starts).
 * - `timeoutMs` is a non-negative number of milliseconds; `0` and `Infinity` mean no deadline (as
 *   an absent one does); a negative or `NaN` `timeoutMs` rejects with `InvalidArgumentError`
 *   before anything runs (core's `deadlineOf`).
 * - `timeoutMs` expiry resolves with exit code 124.
 *
 * File verbs (errors are `SandboxFileError`s whose `errno` says why)
 * - `readFile(path)` resolves the UTF-8 text of a file; `ENOENT` if missing, `EISDIR` for a directory.
 * - `readFileBuffer(path)` resolves the raw bytes as a `Uint8Array`; same errors.
 * - `writeFile(path, content)` creates or replaces a file, creating missing parent directories;
 *   `EISDIR` when `path` is a directory.
 * - `stat(path)` resolves a `FileStat`; `ENOENT` if missing.
 * - `readdir(path)` resolves the entry names (no paths, no `.`/`..`), sorted; `ENOENT` if missing,
 *   `ENOTDIR` for a file.
 * - `exists(path)` resolves `true` for an existing file or directory and `false` otherwise,
 *   for refused and invalid paths too; it never rejects.
 * - `mkdir(path)` creates one directory: `EEXIST` if the path exists, `ENOENT` if the parent is
 *   missing. With `recursive: true` it creates missing parents and succeeds on an existing
 *   directory (`EEXIST` when a file is in the way).
 * - `rm(path)` behaves exactly as Node's `fs.rm`: a missing path is `ENOENT` unless `force`;
 *   a directory needs `recursive` (`EISDIR` otherwise, even with `force`); `recursive` removes
 *   the whole tree. A sandbox that cannot honour an option throws
 *   `SandboxOperationUnsupportedError` before anything changes.
 *
 * Refusals: a path that would leave the sandbox's files is `PathRefusedError`; a policy's
 * refusal is `CommandRefusedError` or `WriteRefusedError`. A refusal changes nothing.
 *
 * After `close()` (when the sandbox has it): `exec` and every file verb reject with `ClosedError`,
 * `exists` resolves `false`, `hostMounts()` returns `[]`; closing again is a no-op.
 *
 * Host mounts (optional: `hostMounts` and `openHostMounts`, for an in-process Python backend)
 * - `hostMounts()` describes the mounts a run would get now and changes nothing (no file, no
 *   limit, no count): asking twice gives the same answer.
 * - The mount lifecycle: a backend that lets a run write through the mounts gets them from
 *   `openHostMounts()` when the sandbox has it (else from `hostMounts()`), once per run, and calls
 *   the lease's `release()` once after that run ended, whatever its outcome, before it opens
 *   mounts for its next run. What the run wrote is charged to the sandbox's limits by then.
 * - A run that leaves the mounted files over a limit its mount cannot enforce (a count of
 *   files) is refused at `release()`: it rejects with `SandboxLimitError`, after removing every
 *   entry that appeared in the mounted directories while the lease was open (whoever made it),
 *   and the backend's run rejects with that error. Files the run changed in place stay changed.
 * - Once closed, `openHostMounts()` resolves a lease with no mounts.
 */
export interface Sandbox {
  /** The sandbox's name, e.g. `'virtual'`. */
  readonly name: string
  /** The contract version implemented; `1` for this file. */
  readonly contractVersion: typeof SANDBOX_CONTRACT_VERSION
  /** The provider's id for this sandbox, when it has one (for reconnecting). */
  readonly id?: string
  readonly cwd: string
  resolvePath(path: string): string
  exec(command: string, options?: ExecOptions): Promise<ShellResult>
  readFile(path: string): Promise<string>
  readFileBuffer(path: string): Promise<Uint8Array>
  writeFile(path: string, content: string | Uint8Array): Promise<void>
  stat(path: string): Promise<FileStat>
  readdir(path: string): Promise<string[]>
  exists(path: string): Promise<boolean>
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void>
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>
  /**
   * Optional capability: the sandbox directories that live on this host, so an in-process
   * Python backend can mount them without copying. Absent or empty when the files are remote.
   */
  hostMounts?(): readonly HostDirectoryMount[]
  /**
   * Optional, beside `hostMounts`: opens the mounts for one run and returns them with the
   * `release()` the backend calls when that run ended (see "Host mounts" above).
   */
  openHostMounts?(): Promise<HostMountLease>
  /**
   * Optional: a view of this sandbox (the same files, the same lifetime) that enforces `policy`
   * inside the sandbox, where a wrapper cannot see (e.g. read-only files for every shell command).
   * `withSandboxPolicy` calls it and wraps the view; callers use `withSandboxPolicy`, not this.
   */
  restrict?(policy: ResolvedSandboxPolicy): Sandbox
  /**
   * Releases the sandbox. Local sandboxes delete their files. Remote sandboxes disconnect and
   * leave the provider's sandbox running unless `kill: true`. Closing twice is a no-op.
   */
  close?(options?: { kill?: boolean }): Promise<void>
}

/** What a sandbox factory is given. */
export interface CreateSandboxOptions {
  /** The session (or agent) id. A factory that keys provider resources on it reconnects to the same sandbox. */
  id: string
  signal?: AbortSignal
}

/** Makes (or reconnects to) a sandbox. Cheap to construct; work happens in `createSandbox`. */
export interface SandboxFactory {
  /** The sandbox's name, e.g. `'virtual'`. */
  readonly name: string
  createSandbox(options: CreateSandboxOptions): Promise<Sandbox>
}
