import { ErrorCodes, PyFlueError } from './pyflue-error.js'

/** POSIX-style reasons a file verb fails, named as Node names them. */
export type SandboxFileErrno = 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY' | 'EACCES' | 'EIO'

/**
 * A file verb failed for a reason the caller can act on (missing path, wrong kind, not empty).
 * `errno` tells which; `path` is the sandbox path as resolved.
 */
export class SandboxFileError extends PyFlueError {
  readonly errno: SandboxFileErrno
  readonly path: string
  /** The verb that failed, e.g. `'readFile'`. */
  readonly operation: string

  constructor(init: {
    errno: SandboxFileErrno
    path: string
    operation: string
    message?: string
    cause?: unknown
  }) {
    super(
      ErrorCodes.SANDBOX_FILE,
      init.message ?? `${init.operation} ${init.path}: ${describeErrno(init.errno)} (${init.errno})`,
      { cause: init.cause },
    )
    this.errno = init.errno
    this.path = init.path
    this.operation = init.operation
  }
}

function describeErrno(errno: SandboxFileErrno): string {
  switch (errno) {
    case 'ENOENT':
      return 'no such file or directory'
    case 'EEXIST':
      return 'already exists'
    case 'ENOTDIR':
      return 'not a directory'
    case 'EISDIR':
      return 'is a directory'
    case 'ENOTEMPTY':
      return 'directory not empty'
    case 'EACCES':
      return 'permission denied'
    case 'EIO':
      return 'input/output error'
  }
}

/** A sandbox cannot honour a verb or an option; thrown before anything changed. */
export class SandboxOperationUnsupportedError extends PyFlueError {
  /** The verb, e.g. `'rm'`. */
  readonly operation: string
  /** The option that cannot be honoured, e.g. `'recursive'`, when one is to blame. */
  readonly option?: string

  constructor(init: { operation: string; option?: string; message?: string }) {
    super(
      ErrorCodes.SANDBOX_OPERATION_UNSUPPORTED,
      init.message ??
        `This sandbox does not support ${init.operation}${init.option ? ` with ${init.option}` : ''}.`,
    )
    this.operation = init.operation
    if (init.option !== undefined) this.option = init.option
  }
}

/** A path was refused: it would leave the workspace, or is too long, or names a host path. */
export class PathRefusedError extends PyFlueError {
  readonly path: string
  readonly reason: 'outside-workspace' | 'symlink-escape' | 'too-long' | 'invalid' | 'policy'

  constructor(init: { path: string; reason: PathRefusedError['reason']; message?: string }) {
    super(ErrorCodes.PATH_REFUSED, init.message ?? `Path refused (${init.reason}): ${init.path}`)
    this.path = init.path
    this.reason = init.reason
  }
}

/** A shell command was refused by a policy before it ran. */
export class CommandRefusedError extends PyFlueError {
  readonly command: string
  readonly reason: 'shell-disabled' | 'not-allowed' | 'compound' | 'substitution' | 'write-redirect'
  /** The command word that was not allowed, for `reason: 'not-allowed'`. */
  readonly commandName?: string

  constructor(init: {
    command: string
    reason: CommandRefusedError['reason']
    commandName?: string
    message: string
  }) {
    super(ErrorCodes.COMMAND_REFUSED, init.message)
    this.command = init.command
    this.reason = init.reason
    if (init.commandName !== undefined) this.commandName = init.commandName
  }
}

/** A write (writeFile, mkdir, rm) was refused by a policy with `allowWrite: false`. */
export class WriteRefusedError extends PyFlueError {
  readonly operation: string
  readonly path: string

  constructor(init: { operation: string; path: string }) {
    super(
      ErrorCodes.WRITE_REFUSED,
      `${init.operation} ${init.path} refused: this sandbox's policy does not allow writes (allowWrite: false).`,
    )
    this.operation = init.operation
    this.path = init.path
  }
}

/** A sandbox size limit (total bytes, file count) would be exceeded; nothing was written. */
export class SandboxLimitError extends PyFlueError {
  readonly limit: 'maxTotalBytes' | 'maxFileCount' | 'maxFileBytes'
  readonly value: number

  constructor(init: { limit: SandboxLimitError['limit']; value: number; message?: string }) {
    super(
      ErrorCodes.SANDBOX_LIMIT,
      init.message ?? `The sandbox's ${init.limit} limit (${init.value}) would be exceeded.`,
    )
    this.limit = init.limit
    this.value = init.value
  }
}

/** What went wrong at a remote sandbox provider. */
export type SandboxProviderFailure = 'auth' | 'quota' | 'not-found' | 'network' | 'timeout' | 'unknown'

/** A remote provider failed (auth, quota, sandbox gone, network). The provider's message is kept. */
export class SandboxProviderError extends PyFlueError {
  /** The provider, e.g. `'e2b'`. */
  readonly provider: string
  readonly failure: SandboxProviderFailure

  constructor(init: { provider: string; failure: SandboxProviderFailure; message: string; cause?: unknown }) {
    super(ErrorCodes.SANDBOX_PROVIDER, `${init.provider} (${init.failure}): ${init.message}`, {
      cause: init.cause,
    })
    this.provider = init.provider
    this.failure = init.failure
  }
}
