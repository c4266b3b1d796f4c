/**
 * A `SessionStore` (core contract v1) on a directory, for processes that share one file system.
 * Each session is a folder: `head.json` names the committed version; `c-<version>.json` holds what
 * that commit changed (append-only, so a save writes only its own change); `lease.json` holds the
 * lease. Every read-modify-write happens under a `proper-lockfile` lock of the folder, and every
 * file is written to a temporary name and renamed into place, so a crash mid-commit leaves the
 * previous version whole (a segment past `head.version` is ignored and overwritten later).
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import {
  type AcquireLeaseOptions,
  applySessionCommit,
  DEFAULT_MAX_WORKSPACE_BYTES,
  InvalidArgumentError,
  randomLeaseToken,
  refuseUnknownKeys,
  SESSION_STORE_CONTRACT_VERSION,
  SessionBusyError,
  type SessionCommit,
  SessionConflictError,
  type SessionLease,
  type SessionRecord,
  type SessionStore,
  SessionTooLargeError,
  StateFormatError,
  waitForLease,
} from '@pyflue/core'
import lockfile from 'proper-lockfile'

const FORMAT = 'pyflue-session-dir'

export interface FileSessionStoreOptions {
  /** The workspace bound in bytes of file contents. Default `DEFAULT_MAX_WORKSPACE_BYTES` (64 MiB). */
  maxWorkspaceBytes?: number
}

interface Head {
  format: typeof FORMAT
  version: number
  /** Sizes of the workspace files, to check the bound without reading them. */
  workspaceSizes: Record<string, number>
  python?: { backend: string; engineVersion: string }
}

interface StoredLease {
  ownerId: string
  token: string
  ttlMs: number
  expiresAt: number
}

export class FileSessionStore implements SessionStore {
  readonly contractVersion = SESSION_STORE_CONTRACT_VERSION
  /** The absolute directory the sessions live in. */
  readonly directory: string
  readonly #maxWorkspaceBytes: number

  constructor(directory: string, options: FileSessionStoreOptions = {}) {
    if (typeof directory !== 'string' || directory === '') {
      throw new InvalidArgumentError('directory', 'FileSessionStore needs a directory path.')
    }
    refuseUnknownKeys(options, ['maxWorkspaceBytes'], 'FileSessionStore options')
    this.directory = resolve(directory)
    this.#maxWorkspaceBytes = options.maxWorkspaceBytes ?? DEFAULT_MAX_WORKSPACE_BYTES
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    const folder = this.#folder(id)
    const head = await readJson<Head>(join(folder, 'head.json'))
    if (!head) return undefined
    if (head.format !== FORMAT)
      throw new StateFormatError('magic', `Session '${id}' is not a PyFlue session folder.`)
    let record: SessionRecord | undefined
    for (let version = 1; version <= head.version; version++) {
      const segment = await readJson<unknown>(join(folder, `c-${version}.json`))
      if (segment === undefined)
        throw new StateFormatError('truncated', `Session '${id}' misses its commit ${version}.`)
      record = applySessionCommit(id, record, decode(segment) as SessionCommit, {
        maxWorkspaceBytes: Number.POSITIVE_INFINITY,
      })
    }
    return record
  }

  async acquire(id: string, options: AcquireLeaseOptions): Promise<SessionLease> {
    return waitForLease(id, options, () =>
      this.#locked(id, async (folder) => {
        const held = await readJson<StoredLease>(join(folder, 'lease.json'))
        const now = Date.now()
        if (held && held.expiresAt > now) {
          throw new SessionBusyError({ sessionId: id, ownerId: held.ownerId, expiresAt: held.expiresAt })
        }
        const lease = {
          ownerId: options.ownerId,
          token: randomLeaseToken(),
          ttlMs: options.ttlMs,
          expiresAt: now + options.ttlMs,
        }
        await writeAtomically(join(folder, 'lease.json'), JSON.stringify(lease))
        return { sessionId: id, ownerId: lease.ownerId, token: lease.token, expiresAt: lease.expiresAt }
      }),
    )
  }

  async renew(lease: SessionLease, ttlMs?: number): Promise<SessionLease> {
    return this.#locked(lease.sessionId, async (folder) => {
      const held = await this.#current(folder, lease)
      held.expiresAt = Date.now() + (ttlMs ?? held.ttlMs)
      await writeAtomically(join(folder, 'lease.json'), JSON.stringify(held))
      return { ...lease, expiresAt: held.expiresAt }
    })
  }

  async release(lease: SessionLease): Promise<void> {
    await this.#locked(lease.sessionId, async (folder) => {
      const held = await readJson<StoredLease>(join(folder, 'lease.json'))
      if (held?.token === lease.token) await rm(join(folder, 'lease.json'), { force: true })
    })
  }

  async commit(lease: SessionLease, change: SessionCommit): Promise<number> {
    const id = lease.sessionId
    return this.#locked(id, async (folder) => {
      await this.#current(folder, lease)
      const head = (await readJson<Head>(join(folder, 'head.json'))) ?? {
        format: FORMAT,
        version: 0,
        workspaceSizes: {},
      }
      if (change.expectedVersion !== head.version) {
        throw new SessionConflictError({
          sessionId: id,
          expectedVersion: change.expectedVersion,
          actualVersion: head.version,
        })
      }
      const next = nextHead(id, head, change, this.#maxWorkspaceBytes)
      await writeAtomically(join(folder, `c-${next.version}.json`), JSON.stringify(encode(change)))
      await writeAtomically(join(folder, 'head.json'), JSON.stringify(next))
      return next.version
    })
  }

  async delete(lease: SessionLease): Promise<void> {
    const folder = this.#folder(lease.sessionId)
    await this.#locked(lease.sessionId, async () => {
      await this.#current(folder, lease)
      const trash = `${folder}.deleted-${randomLeaseToken()}`
      await rename(folder, trash)
      await rm(trash, { recursive: true, force: true })
    })
  }

  async close(): Promise<void> {}

  #folder(id: string): string {
    if (typeof id !== 'string' || id === '')
      throw new InvalidArgumentError('id', 'A session id is a non-empty string.')
    return join(this.directory, encodeSessionId(id))
  }

  async #current(folder: string, lease: SessionLease): Promise<StoredLease> {
    const held = await readJson<StoredLease>(join(folder, 'lease.json'))
    if (!held || held.token !== lease.token || held.expiresAt <= Date.now()) {
      throw new SessionBusyError({
        sessionId: lease.sessionId,
        message: `The lease of owner '${lease.ownerId}' on session '${lease.sessionId}' is no longer current (expired, released or taken over); nothing was changed.`,
      })
    }
    return held
  }

  async #locked<T>(id: string, work: (folder: string) => Promise<T>): Promise<T> {
    const folder = this.#folder(id)
    await mkdir(folder, { recursive: true })
    const unlock = await lockfile.lock(folder, {
      lockfilePath: `${folder}.lock`,
      stale: 10_000,
      retries: { retries: 1000, minTimeout: 5, maxTimeout: 50 },
    })
    try {
      return await work(folder)
    } finally {
      await unlock().catch(() => {})
    }
  }
}

function nextHead(id: string, head: Head, change: SessionCommit, max: number): Head {
  let sizes = { ...head.workspaceSizes }
  if (change.workspace?.kind === 'snapshot') sizes = sizesOf(change.workspace.files)
  else if (change.workspace?.kind === 'delta') {
    for (const path of change.workspace.removed) delete sizes[path]
    Object.assign(sizes, sizesOf(change.workspace.written))
  }
  const total = Object.values(sizes).reduce((a, b) => a + b, 0)
  if (total > max)
    throw new SessionTooLargeError({ sessionId: id, part: 'workspace', limitBytes: max, actualBytes: total })
  let python = head.python
  if (change.python?.kind === 'snapshot')
    python = { backend: change.python.backend, engineVersion: change.python.engineVersion }
  else if (change.python) {
    if (
      !python ||
      python.backend !== change.python.backend ||
      python.engineVersion !== change.python.engineVersion
    ) {
      throw new StateFormatError(
        python && python.backend === change.python.backend ? 'version' : 'backend',
        `A Python delta of ${change.python.backend} ${change.python.engineVersion} was committed onto ${
          python ? `a state of ${python.backend} ${python.engineVersion}` : 'a session with no Python state'
        }; commit a snapshot instead.`,
      )
    }
  }
  return { format: FORMAT, version: head.version + 1, workspaceSizes: sizes, ...(python ? { python } : {}) }
}

function sizesOf(files: Readonly<Record<string, Uint8Array>>): Record<string, number> {
  return Object.fromEntries(Object.entries(files).map(([path, bytes]) => [path, bytes.byteLength]))
}

/** JSON with byte arrays as `{ $bytes: base64 }`. */
function encode(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') }
  if (Array.isArray(value)) return value.map(encode)
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]))
  return value
}

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode)
  if (value && typeof value === 'object') {
    const bytes = (value as { $bytes?: unknown }).$bytes
    if (typeof bytes === 'string' && Object.keys(value).length === 1)
      return new Uint8Array(Buffer.from(bytes, 'base64'))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]))
  }
  return value
}

async function readJson<T>(file: string): Promise<T | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    return JSON.parse(text) as T
  } catch (error) {
    throw new StateFormatError('corrupt', 'A session file is not valid JSON.', { cause: error })
  }
}

async function writeAtomically(file: string, body: string): Promise<void> {
  const temporary = `${file}.${randomLeaseToken()}.tmp`
  await writeFile(temporary, body, 'utf8')
  await rename(temporary, file)
}

/** Percent-encodes all but letters, digits, `-` and `_`; a long id keeps a prefix plus a hash. */
function encodeSessionId(id: string): string {
  const encoded = [...Buffer.from(id, 'utf8')]
    .map((byte) => {
      const ch = String.fromCharCode(byte)
      return /[A-Za-z0-9_-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
    })
    .join('')
  if (encoded.length <= 180) return encoded
  return `${encoded.slice(0, 100)}~${createHash('sha256').update(id).digest('hex').slice(0, 40)}`
}
