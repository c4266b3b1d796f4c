import {
  type CreateSandboxOptions,
  InvalidArgumentError,
  optionWithAlias,
  refuseUnknownKeys,
  type SandboxFactory,
  telemetryFrom,
  throwIfAborted,
} from '@pyflue/core'
import { APIError, Sandbox as VercelSdkSandbox } from '@vercel/sandbox'
import { withProviderErrors } from './provider-error.js'
import {
  type VercelSandbox,
  type VercelSandboxFromSdkOptions,
  vercelSandboxFromSdk,
} from './vercel-driver.js'

/** Options of `vercelSandbox` and `createVercelSandbox`. Every option is optional. */
export interface VercelSandboxOptions extends Omit<VercelSandboxFromSdkOptions, 'onOrphanSettled'> {
  /**
   * Connect to this existing sandbox (Vercel identifies a sandbox by its name) instead of
   * creating one. The creation options below are then ignored.
   */
  sandboxId?: string
  /** A Vercel access token. With `teamId` and `projectId`; all three or none. */
  token?: string
  /** The Vercel team id. */
  teamId?: string
  /** The Vercel project id. */
  projectId?: string
  /** Create: a Vercel-managed runtime, e.g. `'node24'` or `'python3.13'`. Not with `image`. */
  runtime?: string
  /** Create: a container image, e.g. `'vercel/sandbox/universal'`. Not with `runtime`. */
  image?: string
  /** Create: the sandbox's lifetime in milliseconds (Vercel's `timeout`), rounded up. */
  timeoutMs?: number
  /** Create: environment variables of every command in the sandbox. */
  env?: Record<string, string>
  /** Create: virtual CPUs. */
  vcpus?: number
  /** Create: ports to expose. */
  ports?: number[]
  /** Create: a name for the new sandbox (Vercel generates one otherwise). */
  name?: string
  /**
   * Key the sandbox on the session id: `createSandbox({ id })` connects to the sandbox named
   * `nameFromId(id)` when it exists and creates it under that name otherwise, so a session that
   * comes back finds its files. Not with `sandboxId` or `name`.
   */
  nameFromId?: (id: string) => string
  /** Create: tags attached to the sandbox. */
  tags?: Record<string, string>
  /**
   * The `fetch` the SDK uses for every API call (e.g. to go through a proxy). Defaults to the
   * global `fetch`.
   */
  fetch?: typeof globalThis.fetch
}

/** The `'vercel'` factory: a `SandboxFactory` whose sandboxes always have `id` and `close`. */
export interface VercelSandboxFactory extends SandboxFactory {
  readonly name: 'vercel'
  createSandbox(options: CreateSandboxOptions): Promise<VercelSandbox>
}

/**
 * The `'vercel'` sandbox factory. With no options, credentials come from the environment:
 * `VERCEL_OIDC_TOKEN` (as `vercel env pull` writes it; the SDK's own default), else the trio
 * `VERCEL_TOKEN` + `VERCEL_TEAM_ID` + `VERCEL_PROJECT_ID`; each `createSandbox` creates a new
 * Vercel sandbox. Cheap to call: nothing happens until `createSandbox`.
 */
export function vercelSandbox(options: VercelSandboxOptions = {}): VercelSandboxFactory {
  checkOptions(options)
  // One Telemetry for every sandbox of the factory (one import of @opentelemetry/api for `true`).
  const telemetry = vercelTelemetry(options)
  return {
    name: 'vercel',
    createSandbox: (createOptions: CreateSandboxOptions) => {
      const { nameFromId, ...given } = options
      const rest = { ...given, telemetry }
      const signal = createOptions.signal ? { signal: createOptions.signal } : {}
      if (!nameFromId) return createVercelSandbox({ ...rest, ...signal })
      const name = nameFromId(createOptions.id)
      if (typeof name !== 'string' || name === '') {
        return Promise.reject(
          new InvalidArgumentError(
            'nameFromId',
            `nameFromId must return a non-empty string: got ${String(name)}`,
          ),
        )
      }
      return createVercelSandbox({ ...rest, ...signal, name, reuseByName: true })
    },
  }
}

/**
 * Connects to (`sandboxId`) or creates a Vercel sandbox and returns it as a PyFlue `Sandbox`.
 * Provider failures (auth, quota, not found, network) reject with `SandboxProviderError`.
 */
export async function createVercelSandbox(
  options: Omit<VercelSandboxOptions, 'nameFromId'> & {
    signal?: AbortSignal
    /** Connect to the sandbox called `name` when it exists; create it otherwise. */
    reuseByName?: boolean
  } = {},
): Promise<VercelSandbox> {
  checkOptions(options, ['signal', 'reuseByName'])
  if (options.reuseByName && options.name === undefined) {
    throw new InvalidArgumentError('name', 'reuseByName needs a name.')
  }
  throwIfAborted(options.signal)
  const telemetry = vercelTelemetry(options)
  await telemetry.ready
  const credentials = credentialsOf(options)
  const common = {
    ...credentials,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  }
  const get = (name: string) =>
    VercelSdkSandbox.get({ ...common, name } as Parameters<typeof VercelSdkSandbox.get>[0])
  const sdk = await withProviderErrors(async () => {
    if (options.sandboxId !== undefined) return get(options.sandboxId)
    if (options.reuseByName && options.name !== undefined) {
      try {
        return await get(options.name)
      } catch (error) {
        // Only "no such sandbox" leads to creating one; anything else is the caller's to see.
        if (!(error instanceof APIError && error.response.status === 404)) throw error
      }
    }
    return VercelSdkSandbox.create({
      ...common,
      ...(options.runtime !== undefined ? { runtime: options.runtime } : {}),
      ...(options.image !== undefined ? { image: options.image } : {}),
      ...(options.timeoutMs !== undefined ? { timeout: Math.ceil(options.timeoutMs) } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.vcpus !== undefined ? { resources: { vcpus: options.vcpus } } : {}),
      ...(options.ports ? { ports: options.ports } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.tags ? { tags: options.tags } : {}),
    } as Parameters<typeof VercelSdkSandbox.create>[0])
  })
  return vercelSandboxFromSdk(sdk, {
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.killOnClose !== undefined ? { killOnClose: options.killOnClose } : {}),
    ...(options.stopOnClose !== undefined ? { stopOnClose: options.stopOnClose } : {}),
    telemetry,
  })
}

/** The sandbox's `Telemetry` from its `telemetry` option (checked; unknown keys refused). */
function vercelTelemetry(options: Pick<VercelSandboxOptions, 'telemetry'>) {
  return telemetryFrom(options.telemetry, {
    where: 'vercelSandbox options.telemetry',
    scope: '@pyflue/sandbox-vercel',
  })
}

/**
 * Explicit options first; else, when `VERCEL_OIDC_TOKEN` is not set, the access-token trio
 * `VERCEL_TOKEN` + `VERCEL_TEAM_ID` + `VERCEL_PROJECT_ID` from the environment; else nothing, and
 * the SDK finds its OIDC token itself.
 */
function credentialsOf(options: VercelSandboxOptions): {
  token?: string
  teamId?: string
  projectId?: string
} {
  if (options.token !== undefined) {
    return { token: options.token, teamId: options.teamId!, projectId: options.projectId! }
  }
  const env = process.env
  if (!env.VERCEL_OIDC_TOKEN && env.VERCEL_TOKEN && env.VERCEL_TEAM_ID && env.VERCEL_PROJECT_ID) {
    return { token: env.VERCEL_TOKEN, teamId: env.VERCEL_TEAM_ID, projectId: env.VERCEL_PROJECT_ID }
  }
  return {}
}

const VERCEL_SANDBOX_OPTION_KEYS = Object.keys({
  sandboxId: true,
  token: true,
  teamId: true,
  projectId: true,
  runtime: true,
  image: true,
  timeoutMs: true,
  env: true,
  vcpus: true,
  ports: true,
  name: true,
  nameFromId: true,
  tags: true,
  fetch: true,
  cwd: true,
  killOnClose: true,
  stopOnClose: true,
  telemetry: true,
} satisfies Record<keyof VercelSandboxOptions, true>)

function checkOptions(options: VercelSandboxOptions, alsoKnown: readonly string[] = []): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'vercelSandbox options must be an object.')
  }
  refuseUnknownKeys(options, [...VERCEL_SANDBOX_OPTION_KEYS, ...alsoKnown], 'vercelSandbox options')
  optionWithAlias(options, 'killOnClose', 'stopOnClose')
  if (options.runtime !== undefined && options.image !== undefined) {
    throw new InvalidArgumentError('image', 'Pass either runtime or image, not both.')
  }
  const given = (['token', 'teamId', 'projectId'] as const).filter((key) => options[key] !== undefined)
  if (given.length > 0 && given.length < 3) {
    throw new InvalidArgumentError(
      'token',
      `token, teamId and projectId go together; missing: ${['token', 'teamId', 'projectId'].filter((k) => !given.includes(k as never)).join(', ')}.`,
    )
  }
  for (const key of [
    'sandboxId',
    'token',
    'teamId',
    'projectId',
    'runtime',
    'image',
    'name',
    'cwd',
  ] as const) {
    if (options[key] !== undefined && (typeof options[key] !== 'string' || options[key] === '')) {
      throw new InvalidArgumentError(key, `${key} must be a non-empty string.`)
    }
  }
  if (options.cwd !== undefined && !options.cwd.startsWith('/')) {
    throw new InvalidArgumentError('cwd', `cwd must be an absolute path: got ${options.cwd}`)
  }
  for (const key of ['timeoutMs', 'vcpus'] as const) {
    const value = options[key]
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
      throw new InvalidArgumentError(key, `${key} must be a positive number: got ${String(value)}`)
    }
  }
  if (options.nameFromId !== undefined) {
    if (typeof options.nameFromId !== 'function') {
      throw new InvalidArgumentError('nameFromId', 'nameFromId must be a function of the session id.')
    }
    if (options.sandboxId !== undefined || options.name !== undefined) {
      throw new InvalidArgumentError('nameFromId', 'nameFromId cannot be combined with sandboxId or name.')
    }
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new InvalidArgumentError('fetch', 'fetch must be a function.')
  }
}
