import type { SandboxPolicy, TelemetrySetting } from '@pyflue/core'
import { InvalidArgumentError, refuseUnknownKeys, resolveSandboxPolicy } from '@pyflue/core'

/** HTTP methods a network allowlist may permit. */
export type VirtualSandboxHttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS'

/** Network access of the shell's `curl`. Without it the shell has no network (and no `curl`). */
export interface VirtualSandboxNetwork {
  /**
   * URL prefixes that may be fetched, each a full origin (`https://api.example.com`) optionally
   * followed by a path prefix (`https://api.example.com/v1/`). Everything else is refused.
   */
  allowedUrlPrefixes: readonly string[]
  /** Methods allowed on those URLs. Default `['GET', 'HEAD']`. */
  allowedMethods?: readonly VirtualSandboxHttpMethod[]
  /** Also refuse hosts that are or resolve to private and loopback addresses. Default `false`. */
  denyPrivateRanges?: boolean
}

/** The default `maxTotalBytes`: 1 GiB of regular-file bytes. */
export const DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024 * 1024

/** The default `maxFileCount`: 50 000 files and directories. */
export const DEFAULT_MAX_FILE_COUNT = 50_000

/** The default `maxOutputSize`: 8 MiB of stdout and of stderr per command. */
export const DEFAULT_MAX_OUTPUT_SIZE = 8 * 1024 * 1024

/** Options of `createVirtualSandbox` and `virtualSandbox`. */
export interface VirtualSandboxOptions {
  /**
   * Files written before the sandbox is handed out: sandbox path → text (UTF-8) or bytes.
   * Relative paths resolve against `cwd`; parent directories are created.
   */
  files?: Readonly<Record<string, string | Uint8Array>>
  /** The working directory, created if missing. Default `'/'` (the workspace root). */
  cwd?: string
  /** Base environment variables of every command. The host's environment is never passed. */
  env?: Readonly<Record<string, string>>
  /** Network allowlist for `curl`. Default: no network. */
  network?: VirtualSandboxNetwork
  /** Enable just-bash's `python3`/`python` commands (CPython in WebAssembly, slow to start). Default `false`. */
  python?: boolean
  /**
   * The most bytes all regular files together may hold. Default `DEFAULT_MAX_TOTAL_BYTES` (1 GiB);
   * `Infinity`: unlimited.
   */
  maxTotalBytes?: number
  /**
   * The most entries (files and directories together) the workspace may hold. Default
   * `DEFAULT_MAX_FILE_COUNT` (50 000); `Infinity`: unlimited.
   */
  maxFileCount?: number
  /**
   * The most bytes of stdout, and of stderr, one command hands back; the rest is cut in the shell's
   * worker (a note on stderr says so). Default `DEFAULT_MAX_OUTPUT_SIZE` (8 MiB).
   */
  maxOutputSize?: number
  /**
   * The heap (V8 old generation) of the worker thread that runs a command, in MiB, at least 16.
   * A command that needs more is stopped: `exec` resolves with exit code 137. Default 512.
   */
  shellMemoryMb?: number
  /** Applies `withSandboxPolicy`; with `allowWrite: false` the files are also read-only for the shell. */
  policy?: SandboxPolicy
  /** The directory that holds workspace directories. Default `os.tmpdir()`. */
  tmpDir?: string
  /**
   * OpenTelemetry spans and metrics of this sandbox used alone, the same as the harness emits
   * (`pyflue.sandbox.exec`, `pyflue.sandbox.file`, `pyflue.sandbox.commands`):
   * `{ tracer, meter, recordCode }`, `true` for the global providers of `@opentelemetry/api`
   * (scope `@pyflue/sandbox-virtual`), or a `Telemetry`. Default off: nothing is wrapped. A
   * harness given this sandbox does not trace it a second time.
   */
  telemetry?: TelemetrySetting
}

const VIRTUAL_SANDBOX_OPTION_KEYS = Object.keys({
  files: true,
  cwd: true,
  env: true,
  network: true,
  python: true,
  maxTotalBytes: true,
  maxFileCount: true,
  maxOutputSize: true,
  shellMemoryMb: true,
  policy: true,
  tmpDir: true,
  telemetry: true,
} satisfies Record<keyof VirtualSandboxOptions, true>)

/** Validates options and throws `InvalidArgumentError` naming the bad one (an unknown key too). */
export function checkVirtualSandboxOptions(options: unknown): VirtualSandboxOptions {
  if (options === undefined) return {}
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', 'The virtual sandbox options must be an object.')
  }
  refuseUnknownKeys(options, VIRTUAL_SANDBOX_OPTION_KEYS, 'virtualSandbox options')
  const o = options as VirtualSandboxOptions
  if (o.files !== undefined) {
    if (typeof o.files !== 'object' || o.files === null || Array.isArray(o.files)) {
      throw new InvalidArgumentError('files', 'files must be an object mapping paths to text or bytes.')
    }
    for (const [path, content] of Object.entries(o.files)) {
      if (typeof content !== 'string' && !(content instanceof Uint8Array)) {
        throw new InvalidArgumentError('files', `files['${path}'] must be a string or a Uint8Array.`)
      }
    }
  }
  if (o.cwd !== undefined && (typeof o.cwd !== 'string' || o.cwd === '')) {
    throw new InvalidArgumentError('cwd', 'cwd must be a non-empty path string.')
  }
  checkEnv(o.env, 'env')
  if (o.network !== undefined) {
    const prefixes = o.network?.allowedUrlPrefixes
    if (
      !Array.isArray(prefixes) ||
      prefixes.length === 0 ||
      prefixes.some((p) => typeof p !== 'string' || !/^https?:\/\/[^/]+/.test(p))
    ) {
      throw new InvalidArgumentError(
        'network',
        'network.allowedUrlPrefixes must be a non-empty list of http(s) URL prefixes, each starting with an origin (https://host[:port]).',
      )
    }
  }
  if (o.python !== undefined && typeof o.python !== 'boolean') {
    throw new InvalidArgumentError('python', 'python must be a boolean.')
  }
  for (const name of ['maxTotalBytes', 'maxFileCount', 'maxOutputSize'] as const) {
    const value = o[name]
    const unlimited = name !== 'maxOutputSize' && value === Number.POSITIVE_INFINITY
    if (
      value !== undefined &&
      !unlimited &&
      (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    ) {
      throw new InvalidArgumentError(
        name,
        name === 'maxOutputSize'
          ? 'maxOutputSize must be a positive integer.'
          : `${name} must be a non-negative integer, or Infinity for no limit.`,
      )
    }
  }
  if (o.maxOutputSize !== undefined && o.maxOutputSize < 1) {
    throw new InvalidArgumentError('maxOutputSize', 'maxOutputSize must be at least 1 byte.')
  }
  if (
    o.shellMemoryMb !== undefined &&
    (typeof o.shellMemoryMb !== 'number' || !Number.isSafeInteger(o.shellMemoryMb) || o.shellMemoryMb < 16)
  ) {
    throw new InvalidArgumentError('shellMemoryMb', 'shellMemoryMb must be an integer of at least 16 (MiB).')
  }
  if (o.policy !== undefined && (typeof o.policy !== 'object' || o.policy === null)) {
    throw new InvalidArgumentError('policy', 'policy must be an object.')
  }
  if (o.policy !== undefined) resolveSandboxPolicy(o.policy)
  if (o.tmpDir !== undefined && (typeof o.tmpDir !== 'string' || o.tmpDir === '')) {
    throw new InvalidArgumentError('tmpDir', 'tmpDir must be a directory path.')
  }
  return o
}

/** Checks an environment map: string keys that are shell names, string values. */
export function checkEnv(env: unknown, argument: string): void {
  if (env === undefined) return
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new InvalidArgumentError(argument, `${argument} must be an object of string values.`)
  }
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new InvalidArgumentError(argument, `${argument}: '${key}' is not a valid variable name.`)
    }
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(argument, `${argument}.${key} must be a string.`)
    }
  }
}
