import {
  type CreateSandboxOptions,
  createAbortError,
  InvalidArgumentError,
  instrumentSandbox,
  optionWithAlias,
  refuseUnknownKeys,
  type Sandbox,
  type SandboxFactory,
  sandboxFromDriver,
  type Telemetry,
  type TelemetrySetting,
  telemetryFrom,
  throwIfAborted,
} from '@pyflue/core'
import { Sandbox as E2BSdkSandbox } from 'e2b'
import { e2bDriver } from './e2b-driver.js'
import { toSandboxProviderError } from './provider-errors.js'

/** Options of `e2bSandbox()` and `connectE2BSandbox()`. Every field is optional. */
export interface E2BSandboxOptions {
  /** Connect to this existing E2B sandbox instead of creating one. */
  sandboxId?: string
  /** The template of a new sandbox (the SDK's default, `'base'`, when omitted). */
  template?: string
  /**
   * Sandbox lifetime in milliseconds, given to the SDK on create and on connect (E2B counts
   * whole seconds; the SDK rounds). The provider kills the sandbox when it runs out.
   */
  timeoutMs?: number
  /** Environment variables of a new sandbox, seen by every command. */
  env?: Record<string, string>
  /** @deprecated The old name of `env` (the e2b SDK's); still accepted. Passing both is an `InvalidArgumentError`. */
  envs?: Record<string, string>
  /** Metadata of a new sandbox. The factory adds `pyflueSessionId`. */
  metadata?: Record<string, string>
  /** E2B API key; defaults to the `E2B_API_KEY` environment variable (read by the SDK). */
  apiKey?: string
  /** E2B domain; defaults to `E2B_DOMAIN` or `e2b.app`. */
  domain?: string
  /** Control-plane URL override (self-hosting, tests); defaults to `E2B_API_URL`. */
  apiUrl?: string
  /** envd URL override (self-hosting, tests); defaults to `E2B_SANDBOX_URL`. */
  sandboxUrl?: string
  /** Per-request timeout of the SDK's HTTP calls, in milliseconds (the SDK's default is 60 000). */
  requestTimeoutMs?: number
  /** The user that runs commands and owns files (the SDK's default user when omitted). */
  user?: string
  /** Working directory inside the sandbox, absolute. Default `'/home/user'`. */
  cwd?: string
  /**
   * For the factory: `createSandbox({ id })` first looks for a running or paused E2B sandbox whose
   * metadata has `pyflueSessionId: id` and connects to it, creating one only when there is none,
   * so a session resumed later (even in another process) gets its files back. Default `false`:
   * every `createSandbox` without `sandboxId` creates a new sandbox.
   */
  reuseBySessionId?: boolean
  /**
   * Kill the provider's sandbox whenever the PyFlue sandbox is closed. Default `false`: closing
   * disconnects and leaves the E2B sandbox running until its own timeout, unless
   * `close({ kill: true })` is called.
   */
  killOnClose?: boolean
  /**
   * OpenTelemetry spans and metrics of this sandbox used alone, the same as the harness emits
   * (`pyflue.sandbox.exec`, `pyflue.sandbox.file`, `pyflue.sandbox.commands`):
   * `{ tracer, meter, recordCode }`, `true` for the global providers of `@opentelemetry/api`
   * (scope `@pyflue/sandbox-e2b`), or a `Telemetry`. Default off: nothing is wrapped. A harness given this
   * sandbox does not trace it a second time.
   */
  telemetry?: TelemetrySetting
}

/** The sandbox's `Telemetry` from its `telemetry` option (checked; unknown keys refused). */
function e2bTelemetry(setting: TelemetrySetting | undefined): Telemetry {
  return telemetryFrom(setting, { where: 'e2bSandbox options.telemetry', scope: '@pyflue/sandbox-e2b' })
}

/** The working directory of E2B's default template. */
export const E2B_DEFAULT_CWD = '/home/user'

/**
 * A `SandboxFactory` named `'e2b'`. Each `createSandbox({ id })` connects to `options.sandboxId`
 * when given, otherwise creates a new E2B sandbox (tagged with `metadata.pyflueSessionId = id`).
 */
export function e2bSandbox(options: E2BSandboxOptions = {}): SandboxFactory {
  checkOptions(options)
  // One Telemetry for every sandbox of the factory (one import of @opentelemetry/api for `true`).
  const telemetry = e2bTelemetry(options.telemetry)
  return {
    name: 'e2b',
    async createSandbox(createOptions: CreateSandboxOptions) {
      const signal = createOptions.signal === undefined ? {} : { signal: createOptions.signal }
      let sandboxId = options.sandboxId
      if (sandboxId === undefined && options.reuseBySessionId) {
        throwIfAborted(createOptions.signal)
        sandboxId = await findSessionSandbox(options, createOptions.id, createOptions.signal)
      }
      return connectE2BSandbox({
        ...options,
        ...(sandboxId === undefined ? {} : { sandboxId }),
        metadata: { ...options.metadata, pyflueSessionId: createOptions.id },
        telemetry,
        ...signal,
      })
    },
  }
}

/** The id of a running or paused sandbox tagged with this session id, if any. */
async function findSessionSandbox(
  options: E2BSandboxOptions,
  sessionId: string,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  try {
    const paginator = E2BSdkSandbox.list({
      ...connectionOptions(options),
      ...(signal === undefined ? {} : { signal }),
      query: { metadata: { pyflueSessionId: sessionId }, state: ['running', 'paused'] },
      limit: 1,
    })
    return (await paginator.nextItems())[0]?.sandboxId
  } catch (error) {
    if (signal?.aborted) throw createAbortError(signal)
    throw toSandboxProviderError(error)
  }
}

function connectionOptions(options: E2BSandboxOptions) {
  return {
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(options.apiUrl === undefined ? {} : { apiUrl: options.apiUrl }),
    ...(options.sandboxUrl === undefined ? {} : { sandboxUrl: options.sandboxUrl }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
  }
}

/**
 * Connects to (`sandboxId`) or creates an E2B sandbox and returns it as a PyFlue `Sandbox`.
 * Provider failures reject with `SandboxProviderError`.
 */
export async function connectE2BSandbox(
  options: E2BSandboxOptions & { signal?: AbortSignal } = {},
): Promise<Sandbox> {
  checkOptions(options, ['signal'])
  throwIfAborted(options.signal)
  const telemetry = e2bTelemetry(options.telemetry)
  await telemetry.ready
  const env = optionWithAlias(options, 'env', 'envs')
  const connection = {
    ...connectionOptions(options),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  }
  let sdk: E2BSdkSandbox
  try {
    sdk =
      options.sandboxId === undefined
        ? await E2BSdkSandbox.create({
            ...connection,
            ...(options.template === undefined ? {} : { template: options.template }),
            ...(env === undefined ? {} : { envs: env }),
            ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
          })
        : await E2BSdkSandbox.connect(options.sandboxId, connection)
  } catch (error) {
    if (options.signal?.aborted) throw createAbortError(options.signal)
    throw toSandboxProviderError(error)
  }
  return fromE2BSdkSandbox(sdk, { ...options, telemetry })
}

/**
 * Wraps a sandbox you already hold from the `e2b` SDK. `close()` leaves it running unless
 * `close({ kill: true })` or `killOnClose`.
 */
export function fromE2BSdkSandbox(
  sdk: E2BSdkSandbox,
  options: Pick<E2BSandboxOptions, 'cwd' | 'user' | 'requestTimeoutMs' | 'killOnClose' | 'telemetry'> = {},
): Sandbox {
  const driver = e2bDriver(sdk, {
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.killOnClose === undefined ? {} : { killOnClose: options.killOnClose }),
  })
  const sandbox = sandboxFromDriver(driver, {
    name: 'e2b',
    cwd: options.cwd ?? E2B_DEFAULT_CWD,
    id: sdk.sandboxId,
  })
  return instrumentSandbox(sandbox, e2bTelemetry(options.telemetry))
}

const E2B_SANDBOX_OPTION_KEYS = Object.keys({
  sandboxId: true,
  template: true,
  timeoutMs: true,
  env: true,
  envs: true,
  metadata: true,
  apiKey: true,
  domain: true,
  apiUrl: true,
  sandboxUrl: true,
  requestTimeoutMs: true,
  user: true,
  cwd: true,
  reuseBySessionId: true,
  killOnClose: true,
  telemetry: true,
} satisfies Record<keyof E2BSandboxOptions, true>)

function checkOptions(options: E2BSandboxOptions, alsoKnown: readonly string[] = []): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'e2bSandbox options must be an object.')
  }
  refuseUnknownKeys(options, [...E2B_SANDBOX_OPTION_KEYS, ...alsoKnown], 'e2bSandbox options')
  optionWithAlias(options, 'env', 'envs')
  if (options.cwd !== undefined && (typeof options.cwd !== 'string' || !options.cwd.startsWith('/'))) {
    throw new InvalidArgumentError('cwd', `cwd must be an absolute POSIX path: got ${String(options.cwd)}`)
  }
  for (const key of ['timeoutMs', 'requestTimeoutMs'] as const) {
    const value = options[key]
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
      throw new InvalidArgumentError(
        key,
        `${key} must be a positive number of milliseconds: got ${String(value)}`,
      )
    }
  }
  if (
    options.sandboxId !== undefined &&
    (typeof options.sandboxId !== 'string' || options.sandboxId === '')
  ) {
    throw new InvalidArgumentError('sandboxId', 'sandboxId must be a non-empty string.')
  }
}
