/**
 * A `SessionStore` (core contract v1) on a directory, for processes that share one file system,
 * in layout 2 (README.md beside this file): per session a folder whose `head.json`, renamed into
 * place, is the commit point; messages and Python deltas are appended to files read only up to
 * the lengths the head names, workspace files are immutable blobs named by an index log. A commit
 * writes what it changed, under a `proper-lockfile` lock of the folder; `load` takes no lock.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import {
  type AcquireLeaseOptions,
  checkSessionCommit,
  DEFAULT_MAX_WORKSPACE_BYTES,
  InvalidArgumentError,
  type PythonStateDelta,
  randomLeaseToken,
  refuseUnknownKeys,
  SESSION_STORE_CONTRACT_VERSION,
  SessionBusyError,
  type SessionCommit,
  type SessionLease,
  type SessionRecord,
  type SessionStore,
  StateFormatError,
  touchedWorkspacePaths,
  waitForLease,
} from '@pyflue/core'
import lockfile from 'proper-lockfile'
import {
  appendAfter,
  checkHead,
  decode,
  emptyHead,
  encode,
  foldIndex,
  type Head,
  type IndexEntry,
  type IndexLine,
  isMissing,
  parseJson,
  readJson,
  readRange,
  syncDirectory,
  writeAtomically,
  writeDurably,
} from './file-store-layout.js'

export interface FileSessionStoreOptions {
  /** The workspace bound in bytes of file contents. Default `DEFAULT_MAX_WORKSPACE_BYTES` (64 MiB). */
  maxWorkspaceBytes?: number
  /**
   * Flush each commit to the disk before it resolves (`fsync` of every file it wrote and of the
   * folders whose names it changed, before and after the head's rename), so a commit that
   * resolved survives a power loss or a kernel crash, not only a killed process. Default `true`;
   * `false` trades that for speed (a scratch directory, tests).
   */
  sync?: boolean
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
  readonly #sync: boolean
  /** Per session folder, the live files of the index log as far as this store last read it. */
  readonly #indexes = new Map<string, { index: string; offset: number; files: Map<string, IndexEntry> }>()

  constructor(directory: string, options: FileSessionStoreOptions = {}) {
    if (typeof directory !== 'string' || directory === '') {
      throw new InvalidArgumentError('directory', 'FileSessionStore needs a directory path.')
    }
    refuseUnknownKeys(options, ['maxWorkspaceBytes', 'sync'], 'FileSessionStore options')
    if (options.sync !== undefined && typeof options.sync !== 'boolean') {
      throw new InvalidArgumentError('sync', `sync must be a boolean; got ${String(options.sync)}.`)
    }
    this.directory = resolve(directory)
    this.#maxWorkspaceBytes = options.maxWorkspaceBytes ?? DEFAULT_MAX_WORKSPACE_BYTES
    this.#sync = options.sync ?? true
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    const folder = this.#folder(id)
    // Lock-free: the head names committed lengths and immutable files. A file a newer commit
    // deleted under this read (ENOENT) means a newer head: read again from it.
    for (let attempt = 0; ; attempt++) {
      const raw = await readJson<unknown>(join(folder, 'head.json'))
      if (raw === undefined) return undefined
      const head = checkHead(id, raw)
      try {
        return await readRecord(id, folder, head)
      } catch (error) {
        if (!isMissing(error)) throw error
        const now = await readJson<Head>(join(folder, 'head.json'))
        if (now === undefined) return undefined
        if (now.version === head.version || attempt >= 100) {
          throw new StateFormatError(
            'truncated',
            `Session '${id}' misses a file of its version ${head.version}.`,
            {
              cause: error,
            },
          )
        }
      }
    }
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
        await writeAtomically(join(folder, 'lease.json'), JSON.stringify(lease), lease.token, this.#sync)
        return { sessionId: id, ownerId: lease.ownerId, token: lease.token, expiresAt: lease.expiresAt }
      }),
    )
  }

  async renew(lease: SessionLease, ttlMs?: number): Promise<SessionLease> {
    return this.#locked(lease.sessionId, async (folder) => {
      const held = await this.#current(folder, lease)
      held.expiresAt = Date.now() + (ttlMs ?? held.ttlMs)
      await writeAtomically(join(folder, 'lease.json'), JSON.stringify(held), randomLeaseToken(), this.#sync)
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
    const touched = touchedWorkspacePaths(change)
    const id = lease.sessionId
    return this.#locked(id, async (folder) => {
      await this.#current(folder, lease)
      const raw = await readJson<unknown>(join(folder, 'head.json'))
      const head = raw === undefined ? emptyHead() : checkHead(id, raw)
      const files = await this.#index(folder, head)
      const storedSizes: Record<string, number> = {}
      if (!touched.replacesAll) {
        for (const path of touched.paths) {
          const entry = files.get(path)
          if (entry) storedSizes[path] = entry.size
        }
      }
      const checked = checkSessionCommit(
        id,
        {
          version: head.version,
          ...(head.python
            ? { python: { backend: head.python.backend, engineVersion: head.python.engineVersion } }
            : {}),
          workspaceBytes: head.workspace.bytes,
        },
        change,
        { maxWorkspaceBytes: this.#maxWorkspaceBytes, storedSizes },
      )
      const written = await writeCommit(folder, head, files, change, checked.version, this.#sync)
      const next: Head = {
        ...written.head,
        version: checked.version,
        updatedAt: new Date().toISOString(),
      }
      next.workspace.bytes = checked.workspaceBytes
      // Everything the head will name is on the disk before the head is (with `sync`): the files'
      // bytes were flushed as they were written; here, the names of new files in their folders,
      // and on a first commit the session folder's own name in the store directory.
      if (written.wroteBlobs) await syncDirectory(join(folder, 'blobs'), this.#sync)
      await syncDirectory(folder, this.#sync)
      if (head.version === 0) await syncDirectory(this.directory, this.#sync)
      // The commit point: until this rename, readers and the next commit see the previous head.
      await writeAtomically(join(folder, 'head.json'), JSON.stringify(next), randomLeaseToken(), this.#sync)
      const live = written.files()
      this.#indexes.set(folder, {
        index: next.workspace.index,
        offset: next.workspace.indexBytes,
        files: live,
      })
      await removeFiles(folder, written.garbage)
      if (written.compacted) await sweep(folder, next, live)
      return checked.version
    })
  }

  async delete(lease: SessionLease): Promise<void> {
    const folder = this.#folder(lease.sessionId)
    await this.#locked(lease.sessionId, async () => {
      await this.#current(folder, lease)
      this.#indexes.delete(folder)
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

  /** The live workspace files of `head`, from this store's cache when it follows the same index log. */
  async #index(folder: string, head: Head): Promise<Map<string, IndexEntry>> {
    const { index, indexBytes } = head.workspace
    let cached = this.#indexes.get(folder)
    if (!cached || cached.index !== index || cached.offset > indexBytes) {
      cached = { index, offset: 0, files: new Map() }
    }
    if (cached.offset < indexBytes) {
      const tail = await readRange(join(folder, index), cached.offset, indexBytes)
      const files = new Map(cached.files)
      foldIndex(files, tail.toString('utf8'))
      cached = { index, offset: indexBytes, files }
    }
    this.#indexes.set(folder, cached)
    return cached.files
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

/** Reads the record `head` names. Rejects with ENOENT when a newer commit removed a file it names. */
async function readRecord(id: string, folder: string, head: Head): Promise<SessionRecord> {
  const messagesText = (await readRange(join(folder, 'messages.jsonl'), 0, head.messagesBytes)).toString(
    'utf8',
  )
  const messages =
    messagesText === ''
      ? []
      : messagesText
          .slice(0, -1)
          .split('\n')
          .map((l) => decode(parseJson(l)))
  const files = new Map<string, IndexEntry>()
  if (head.workspace.index !== '') {
    const index = await readRange(join(folder, head.workspace.index), 0, head.workspace.indexBytes)
    foldIndex(files, index.toString('utf8'))
  }
  const workspace: Record<string, Uint8Array> = {}
  await Promise.all(
    [...files].map(async ([path, entry]) => {
      workspace[path] = new Uint8Array(await readFile(join(folder, 'blobs', entry.blob)))
    }),
  )
  let python: SessionRecord['python']
  if (head.python) {
    const deltasText = (
      await readRange(join(folder, head.python.deltas), 0, head.python.deltasBytes)
    ).toString('utf8')
    python = {
      backend: head.python.backend,
      engineVersion: head.python.engineVersion,
      ...(head.python.snapshot
        ? { snapshot: new Uint8Array(await readFile(join(folder, head.python.snapshot))) }
        : {}),
      deltas:
        deltasText === ''
          ? []
          : deltasText
              .slice(0, -1)
              .split('\n')
              .map((l) => decode(parseJson(l)) as PythonStateDelta),
    }
  }
  return {
    sessionId: id,
    version: head.version,
    messages,
    ...(python ? { python } : {}),
    workspace,
    ...(head.sandbox ? { sandbox: { ...head.sandbox } } : {}),
    extensions: decode(head.extensions) as Record<string, unknown>,
    updatedAt: head.updatedAt,
  }
}

interface WrittenCommit {
  /** The next head, but for version, time and workspace bytes. */
  head: Head
  /** The live files after the commit; call only once the next head is in place. */
  files: () => Map<string, IndexEntry>
  /** Files the next head no longer names, removed once it is in place. */
  garbage: string[]
  /** True when the index log was rewritten, so leftovers of crashed commits are swept. */
  compacted: boolean
  /** True when workspace blobs were written (their folder's names are then flushed too). */
  wroteBlobs: boolean
}

/**
 * Writes what `change` adds, never touching what `head` names but for appending past the committed
 * lengths: messages and deltas are appended, new contents go to new files. Nothing is visible
 * until the caller renames the next head into place.
 */
async function writeCommit(
  folder: string,
  head: Head,
  current: Map<string, IndexEntry>,
  change: SessionCommit,
  version: number,
  sync: boolean,
): Promise<WrittenCommit> {
  const tag = `${version}-${randomLeaseToken().slice(0, 8)}`
  const next: Head = { ...head, workspace: { ...head.workspace }, extensions: { ...head.extensions } }
  const garbage: string[] = []
  const messages = change.appendMessages ?? []
  if (messages.length > 0) {
    const text = messages.map((m) => `${JSON.stringify(encode(m))}\n`).join('')
    next.messagesBytes = await appendAfter(join(folder, 'messages.jsonl'), head.messagesBytes, text, sync)
  }
  const python = change.python
  if (python?.kind === 'snapshot') {
    const snapshot = `python-${tag}.bin`
    await writeDurably(join(folder, snapshot), python.state, sync)
    next.python = {
      backend: python.backend,
      engineVersion: python.engineVersion,
      snapshot,
      deltas: `deltas-${tag}.jsonl`,
      deltasBytes: 0,
    }
    if (head.python?.snapshot) garbage.push(head.python.snapshot)
    if (head.python && head.python.deltasBytes > 0) garbage.push(head.python.deltas)
  } else if (python && head.python) {
    const line = `${JSON.stringify(encode({ changed: python.changed, removed: python.removed }))}\n`
    next.python = {
      ...head.python,
      deltasBytes: await appendAfter(join(folder, head.python.deltas), head.python.deltasBytes, line, sync),
    }
  }
  let files = current
  let compacted = false
  let wroteBlobs = false
  let pending: Map<string, IndexEntry | undefined> | undefined
  const workspace = change.workspace
  if (workspace) {
    // A delta is kept beside `current` (which stays as the previous head's until the commit is
    // in place): `changed` holds each touched path's new entry, undefined when it goes.
    const changed = new Map<string, IndexEntry | undefined>()
    const base = workspace.kind === 'snapshot' ? new Map<string, IndexEntry>() : current
    const get = (path: string) => (changed.has(path) ? changed.get(path) : base.get(path))
    let live = base.size
    const lines: IndexLine[] = []
    if (workspace.kind === 'snapshot')
      for (const entry of current.values()) garbage.push(join('blobs', entry.blob))
    else {
      for (const path of workspace.removed) {
        const entry = get(path)
        if (!entry) continue
        garbage.push(join('blobs', entry.blob))
        changed.set(path, undefined)
        live -= 1
        lines.push({ p: path })
      }
    }
    const written = Object.entries(workspace.kind === 'snapshot' ? workspace.files : workspace.written)
    if (written.length > 0) {
      await mkdir(join(folder, 'blobs'), { recursive: true })
      wroteBlobs = true
    }
    for (const [n, [path, bytes]] of written.entries()) {
      const replaced = get(path)
      if (replaced) garbage.push(join('blobs', replaced.blob))
      else live += 1
      const blob = `${tag}-${n}`
      await writeDurably(join(folder, 'blobs', blob), bytes, sync)
      changed.set(path, { blob, size: bytes.byteLength })
      lines.push({ p: path, b: blob, s: bytes.byteLength })
    }
    const entries = head.workspace.entries + lines.length
    if (workspace.kind === 'snapshot' || head.workspace.index === '' || entries > 2 * live + 64) {
      // A new index log holding only the live files; the old one becomes garbage.
      files = new Map(base)
      applyChanges(files, changed)
      const index = `files-${tag}.jsonl`
      const text = [...files].map(([p, e]) => `${JSON.stringify({ p, b: e.blob, s: e.size })}\n`).join('')
      await writeDurably(join(folder, index), text, sync)
      if (head.workspace.index !== '') garbage.push(head.workspace.index)
      next.workspace = { ...next.workspace, index, indexBytes: Buffer.byteLength(text), entries: files.size }
      compacted = true
    } else {
      pending = changed
      if (lines.length > 0) {
        const text = lines.map((line) => `${JSON.stringify(line)}\n`).join('')
        next.workspace.indexBytes = await appendAfter(
          join(folder, head.workspace.index),
          head.workspace.indexBytes,
          text,
          sync,
        )
        next.workspace.entries = entries
      }
    }
    next.workspace.live = live
  }
  if (change.sandbox === null) delete next.sandbox
  else if (change.sandbox)
    next.sandbox = { provider: change.sandbox.provider, sandboxId: change.sandbox.sandboxId }
  for (const [name, value] of Object.entries(change.extensions ?? {})) {
    if (value === null) delete next.extensions[name]
    else next.extensions[name] = encode(value)
  }
  return {
    head: next,
    // Applied in place once the head is renamed: the cache then follows the new head.
    files: () => {
      if (pending) applyChanges(files, pending)
      return files
    },
    garbage,
    compacted,
    wroteBlobs,
  }
}

function applyChanges(files: Map<string, IndexEntry>, changed: Map<string, IndexEntry | undefined>): void {
  for (const [path, entry] of changed) {
    if (entry) files.set(path, entry)
    else files.delete(path)
  }
}

async function removeFiles(folder: string, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => rm(join(folder, name), { force: true })))
}

/**
 * Removes what no head names any more: files of commits that crashed before their head was
 * renamed, and temporary files. Runs after a compaction, so its cost is amortised over commits.
 */
async function sweep(folder: string, head: Head, files: Map<string, IndexEntry>): Promise<void> {
  const named = new Set(['head.json', 'messages.jsonl', 'lease.json', 'blobs', head.workspace.index])
  if (head.python) {
    named.add(head.python.deltas)
    if (head.python.snapshot) named.add(head.python.snapshot)
  }
  const live = new Set([...files.values()].map((entry) => entry.blob))
  const stale = (await readdir(folder)).filter((name) => !named.has(name) && !name.startsWith('lease.json'))
  const blobs = await readdir(join(folder, 'blobs')).catch((error) =>
    isMissing(error) ? [] : Promise.reject(error),
  )
  await removeFiles(folder, [
    ...stale,
    ...blobs.filter((blob) => !live.has(blob)).map((blob) => join('blobs', blob)),
  ])
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
