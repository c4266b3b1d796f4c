/**
 * A local stand-in for E2B, on 127.0.0.1, for the real `e2b` SDK to talk to in tests.
 *
 * It speaks the two protocols the SDK uses, on one port:
 * - the control-plane REST API (`POST /v2/sandboxes`, `POST /v2/sandboxes/{id}/connect`,
 *   `DELETE /sandboxes/{id}`), checking the `X-API-KEY` header;
 * - envd, the agent inside each sandbox: Connect RPC in its JSON form
 *   (`/filesystem.Filesystem/*` unary calls, `/process.Process/Start` as a server stream of
 *   enveloped JSON messages, `/process.Process/SendSignal`) and plain HTTP `GET`/`POST /files`.
 *
 * Behaviour follows envd's Go sources: `Stat` is an lstat that reports a symlink's target type,
 * `Remove` is `os.RemoveAll`, `MakeDir` creates parents, uploads create parents, a command's
 * process is killed when its `Connect-Timeout-Ms` deadline expires but NOT when the client
 * disconnects. Files live in a temp directory; commands are real `bash` processes whose working
 * directory is inside it. Paths outside the temp directory are refused (permission denied), so
 * a test cannot touch host files through the file API. This is test infrastructure standing in
 * for the remote VM: it does not isolate processes.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import * as fs from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { killGroup, readBody, sendJson } from '@pyflue/test-support'

export const FAKE_API_KEY = 'e2b_fake_test_key'
const ENVD_VERSION = '0.6.5'

export interface FakeSandboxRecord {
  id: string
  templateID: string
  envVars: Record<string, string>
  metadata: Record<string, string>
  /** Lifetime in seconds, as the SDK sent it. */
  timeout: number | undefined
  accessToken: string
  killed: boolean
  connects: number
}

export interface FakeCommandRecord {
  /** The command line (the last argument of `bash -c`). */
  command: string
  pid: number
  cwd: string
  envs: Record<string, string>
  /** The `Connect-Timeout-Ms` header the SDK sent, if any. */
  timeoutHeader: string | undefined
}

export interface FakeE2BServer {
  /** `http://127.0.0.1:PORT`: use it as both `apiUrl` and `sandboxUrl`. */
  readonly url: string
  /** The temp directory that holds every sandbox's files. */
  readonly root: string
  /** `<root>/home/user`: the working directory to give the sandbox. */
  readonly workdir: string
  readonly sandboxes: Map<string, FakeSandboxRecord>
  /** Every command started, in order. */
  readonly commands: FakeCommandRecord[]
  /** Signals received by `SendSignal`, as `{ pid, signal }`. */
  readonly signals: { pid: number; signal: string }[]
  /** The next API call answers with this status and message instead (then it is cleared). */
  failNextApiCall(status: number, message: string): void
  /** Registers a running sandbox without going through the API (for `connect`). */
  addSandbox(id: string): FakeSandboxRecord
  /** True when the process with this pid is still running. */
  isRunning(pid: number): boolean
  close(): Promise<void>
}

class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const RPC_STATUS: Record<string, number> = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  deadline_exceeded: 504,
  internal: 500,
  unavailable: 503,
  unimplemented: 501,
}

export async function startFakeE2BServer(): Promise<FakeE2BServer> {
  const root = await fs.realpath(await fs.mkdtemp(path.join(tmpdir(), 'pyflue-e2b-')))
  const workdir = path.join(root, 'home', 'user')
  await fs.mkdir(workdir, { recursive: true })
  const sandboxes = new Map<string, FakeSandboxRecord>()
  const processes = new Map<number, ChildProcess>()
  const commands: FakeCommandRecord[] = []
  const signals: { pid: number; signal: string }[] = []
  let pendingFailure: { status: number; message: string } | undefined

  const addSandbox = (id: string, init: Partial<FakeSandboxRecord> = {}): FakeSandboxRecord => {
    const record: FakeSandboxRecord = {
      id,
      templateID: 'base',
      envVars: {},
      metadata: {},
      timeout: undefined,
      accessToken: randomUUID(),
      killed: false,
      connects: 0,
      ...init,
    }
    sandboxes.set(id, record)
    return record
  }

  /** Maps a sandbox path to the host, refusing anything outside `root`. */
  const confine = (requested: string): string => {
    const resolved = path.resolve(workdir, requested)
    if (resolved !== root && !resolved.startsWith(`${root}/`)) {
      throw new RpcError('permission_denied', `path '${requested}' is outside this test sandbox`)
    }
    return resolved
  }

  // ---------- control-plane API ----------
  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (req.headers['x-api-key'] !== FAKE_API_KEY) {
      return sendJson(res, 401, { code: 401, message: 'Invalid API key, please check your credentials' })
    }
    if (pendingFailure) {
      const failure = pendingFailure
      pendingFailure = undefined
      return sendJson(res, failure.status, { code: failure.status, message: failure.message })
    }
    const connect = url.pathname.match(/^\/v2\/sandboxes\/([^/]+)\/connect$/)
    const byId = url.pathname.match(/^\/sandboxes\/([^/]+)$/)
    if (req.method === 'POST' && url.pathname === '/v2/sandboxes') {
      const body = JSON.parse((await readBody(req)).toString() || '{}')
      const record = addSandbox(`sbx${randomUUID().slice(0, 8)}`, {
        templateID: body.templateID,
        envVars: body.envVars ?? {},
        metadata: body.metadata ?? {},
        timeout: body.timeout,
      })
      return sendJson(res, 201, sandboxJson(record))
    }
    if (req.method === 'GET' && url.pathname === '/v2/sandboxes') {
      // The SDK sends `metadata` as one URL-encoded `key=value&…` string of encoded pairs.
      const wanted = [...new URLSearchParams(url.searchParams.get('metadata') ?? '')].map(
        ([key, value]) => [decodeURIComponent(key), decodeURIComponent(value)] as const,
      )
      const now = new Date().toISOString()
      const found = [...sandboxes.values()].filter(
        (record) => !record.killed && wanted.every(([key, value]) => record.metadata[key] === value),
      )
      return sendJson(
        res,
        200,
        found.map((record) => ({
          ...sandboxJson(record),
          metadata: record.metadata,
          startedAt: now,
          endAt: now,
          state: 'running',
          cpuCount: 2,
          memoryMB: 512,
        })),
      )
    }
    if (req.method === 'POST' && connect) {
      const record = sandboxes.get(decodeURIComponent(connect[1]!))
      if (!record || record.killed) return sendJson(res, 404, { code: 404, message: 'sandbox not found' })
      const body = JSON.parse((await readBody(req)).toString() || '{}')
      record.connects++
      if (body.timeout !== undefined) record.timeout = body.timeout
      return sendJson(res, 200, sandboxJson(record))
    }
    if (req.method === 'DELETE' && byId) {
      const record = sandboxes.get(decodeURIComponent(byId[1]!))
      if (!record || record.killed) return sendJson(res, 404, { code: 404, message: 'sandbox not found' })
      record.killed = true
      res.writeHead(204).end()
      return
    }
    sendJson(res, 404, { code: 404, message: `no route ${req.method} ${url.pathname}` })
  }

  const sandboxJson = (record: FakeSandboxRecord) => ({
    sandboxID: record.id,
    templateID: record.templateID,
    clientID: 'local',
    envdVersion: ENVD_VERSION,
    envdAccessToken: record.accessToken,
  })

  // ---------- envd: files over HTTP ----------
  const getFile = async (res: ServerResponse, url: URL) => {
    const target = confine(url.searchParams.get('path') ?? '')
    const info = await fs.stat(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new HttpError(404, `path '${target}' does not exist`)
      throw new HttpError(500, `error checking if path exists '${target}': ${error.message}`)
    })
    if (info.isDirectory()) throw new HttpError(400, `path '${target}' is a directory`)
    const data = await fs.readFile(target)
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length })
    res.end(data)
  }

  const postFile = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const target = confine(url.searchParams.get('path') ?? '')
    const contentType = req.headers['content-type'] ?? ''
    const body = await readBody(req)
    let data: Buffer
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': contentType } }).formData()
      const file = form.get('file')
      if (!file || typeof file === 'string') throw new HttpError(400, 'no file part')
      data = Buffer.from(await file.arrayBuffer())
    } else {
      data = body
    }
    await ensureDirs(path.dirname(target)).catch((error: Error) => {
      throw new HttpError(500, `error ensuring directories: ${error.message}`)
    })
    const existing = await fs.stat(target).catch(() => undefined)
    if (existing?.isDirectory()) throw new HttpError(400, `path is a directory: ${target}`)
    await fs.writeFile(target, data).catch((error: Error) => {
      throw new HttpError(500, `error opening file: ${error.message}`)
    })
    sendJson(res, 200, [{ path: target, name: path.basename(target), type: 'file' }])
  }

  // ---------- envd: filesystem service (Connect unary, JSON) ----------
  const entryInfo = async (target: string) => {
    const link = await fs.lstat(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new RpcError('not_found', `file not found: ${error.message}`)
      throw new RpcError('internal', `error getting file info: ${error.message}`)
    })
    let type = entryType(link)
    let symlinkTarget: string | undefined
    if (link.isSymbolicLink()) {
      symlinkTarget = await fs.realpath(target).catch(() => target)
      const followed = await fs.stat(symlinkTarget).catch(() => undefined)
      type = followed ? entryType(followed) : 'FILE_TYPE_UNSPECIFIED'
    }
    return {
      name: path.basename(target),
      type,
      path: target,
      size: String(link.size),
      mode: link.mode & 0o777,
      permissions: link.mode.toString(8),
      owner: 'user',
      group: 'user',
      modifiedTime: link.mtime.toISOString(),
      ...(symlinkTarget === undefined ? {} : { symlinkTarget }),
    }
  }

  const filesystem: Record<string, (msg: any) => Promise<unknown>> = {
    Stat: async (msg) => ({ entry: await entryInfo(confine(msg.path ?? '')) }),
    ListDir: async (msg) => {
      const requested = confine(msg.path ?? '')
      const resolved = await fs.realpath(requested).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw new RpcError('not_found', `path not found: ${error.message}`)
        throw new RpcError('internal', `error resolving symlink: ${error.message}`)
      })
      const info = await fs.stat(resolved)
      if (!info.isDirectory()) throw new RpcError('invalid_argument', `path is not a directory: ${resolved}`)
      const entries = []
      for (const name of await fs.readdir(resolved)) {
        try {
          entries.push({ ...(await entryInfo(path.join(resolved, name))), path: path.join(requested, name) })
        } catch (error) {
          if (!(error instanceof RpcError && error.code === 'not_found')) throw error
        }
      }
      return { entries }
    },
    MakeDir: async (msg) => {
      const target = confine(msg.path ?? '')
      const info = await fs.stat(target).catch(() => undefined)
      if (info?.isDirectory()) throw new RpcError('already_exists', `directory already exists: ${target}`)
      if (info)
        throw new RpcError('invalid_argument', `path already exists but it is not a directory: ${target}`)
      await ensureDirs(target).catch((error: Error) => {
        throw new RpcError('internal', error.message)
      })
      return { entry: await entryInfo(target) }
    },
    Remove: async (msg) => {
      const target = confine(msg.path ?? '')
      if (target === root) throw new RpcError('permission_denied', 'refusing to remove the test root')
      await fs.rm(target, { recursive: true, force: true }).catch((error: Error) => {
        throw new RpcError('internal', `error removing file or directory: ${error.message}`)
      })
      return {}
    },
  }

  // ---------- envd: process service ----------
  const sendSignal = async (msg: any) => {
    const pid = Number(msg.process?.pid)
    const child = processes.get(pid)
    if (!child) throw new RpcError('not_found', `process with pid ${pid} not found`)
    signals.push({ pid, signal: msg.signal })
    const signal = msg.signal === 'SIGNAL_SIGTERM' ? 'SIGTERM' : 'SIGKILL'
    killGroup(child, signal)
    return {}
  }

  /** A streaming call reports an early error as HTTP 200 with an end-of-stream envelope. */
  const startProcess = async (req: IncomingMessage, res: ServerResponse, record: FakeSandboxRecord) => {
    try {
      await runProcess(req, res, record)
    } catch (error) {
      if (res.headersSent || !(error instanceof RpcError)) throw error
      res.writeHead(200, { 'Content-Type': 'application/connect+json' })
      res.end(envelope(2, { error: { code: error.code, message: error.message } }))
    }
  }

  const runProcess = async (req: IncomingMessage, res: ServerResponse, record: FakeSandboxRecord) => {
    const msg = JSON.parse(unenvelope(await readBody(req)).toString())
    const config = msg.process ?? {}
    const cwd = confine(config.cwd || workdir)
    if (!(await fs.stat(cwd).catch(() => undefined))?.isDirectory()) {
      throw new RpcError('invalid_argument', `cwd '${cwd}' does not exist`)
    }
    // The SDK asks for `/bin/bash -l -c <cmd>`; the login flag is dropped so that the host's
    // profile scripts do not run in tests.
    const args = (config.args as string[]).filter((arg) => arg !== '-l')
    const child = spawn('bash', args, {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: workdir, USER: 'user', ...record.envVars, ...config.envs },
    })
    const pid = child.pid!
    processes.set(pid, child)
    const timeoutHeader = req.headers['connect-timeout-ms']
    commands.push({
      command: args.at(-1) ?? '',
      pid,
      cwd,
      envs: config.envs ?? {},
      timeoutHeader: typeof timeoutHeader === 'string' ? timeoutHeader : undefined,
    })
    res.writeHead(200, { 'Content-Type': 'application/connect+json' })
    const send = (event: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.write(envelope(0, { event }))
    }
    send({ start: { pid } })
    child.stdout!.on('data', (chunk: Buffer) => send({ data: { stdout: chunk.toString('base64') } }))
    child.stderr!.on('data', (chunk: Buffer) => send({ data: { stderr: chunk.toString('base64') } }))

    let timer: NodeJS.Timeout | undefined
    const deadline = Number(req.headers['connect-timeout-ms'] ?? 0)
    let timedOut = false
    if (deadline > 0) {
      timer = setTimeout(() => {
        timedOut = true
        killGroup(child, 'SIGKILL')
      }, deadline)
    }
    // Like envd: a client that goes away does not kill the process.
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      processes.delete(pid)
      if (timedOut) {
        if (!res.writableEnded && !res.destroyed) {
          res.end(envelope(2, { error: { code: 'deadline_exceeded', message: 'context deadline exceeded' } }))
        }
        return
      }
      const exitCode = code ?? -1
      const status = signal ? `signal: ${signalName(signal)}` : `exit status ${exitCode}`
      send({
        end: { exitCode, exited: signal === null, status, ...(exitCode !== 0 ? { error: status } : {}) },
      })
      if (!res.writableEnded && !res.destroyed) res.end(envelope(2, {}))
    })
  }

  // ---------- dispatch ----------
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    handle(req, res, url).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      if (error instanceof RpcError) {
        sendJson(res, RPC_STATUS[error.code] ?? 500, { code: error.code, message: error.message })
      } else if (error instanceof HttpError) {
        sendJson(res, error.status, { code: error.status, message: error.message })
      } else {
        sendJson(res, 500, { code: 500, message: String((error as Error)?.message ?? error) })
      }
    })
  })

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const isEnvd =
      url.pathname === '/files' ||
      url.pathname === '/health' ||
      url.pathname.startsWith('/filesystem.') ||
      url.pathname.startsWith('/process.')
    if (!isEnvd) return handleApi(req, res, url)
    const record = sandboxes.get(String(req.headers['e2b-sandbox-id'] ?? ''))
    if (!record || record.killed) {
      return sendJson(res, 502, { code: 502, message: 'The sandbox was not found' })
    }
    if (req.headers['x-access-token'] !== record.accessToken) {
      return sendJson(res, 401, { code: 401, message: 'invalid access token' })
    }
    if (url.pathname === '/health') {
      res.writeHead(204).end()
      return
    }
    if (url.pathname === '/files') {
      if (req.method === 'GET') return getFile(res, url)
      if (req.method === 'POST') return postFile(req, res, url)
    }
    if (url.pathname === '/process.Process/Start') return startProcess(req, res, record)
    const [service, method] = url.pathname.slice(1).split('/') as [string, string]
    const handler =
      service === 'filesystem.Filesystem'
        ? filesystem[method]
        : service === 'process.Process' && method === 'SendSignal'
          ? sendSignal
          : undefined
    if (!handler) throw new RpcError('unimplemented', `${url.pathname} is not emulated`)
    const message = JSON.parse((await readBody(req)).toString() || '{}')
    sendJson(res, 200, await handler(message))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    root,
    workdir,
    sandboxes,
    commands,
    signals,
    failNextApiCall(status, message) {
      pendingFailure = { status, message }
    },
    addSandbox: (id) => addSandbox(id),
    isRunning(pid) {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    },
    async close() {
      for (const child of processes.values()) killGroup(child, 'SIGKILL')
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await fs.rm(root, { recursive: true, force: true })
    },
  }
}

/** Go's `os.MkdirAll`, with its error text: a file in the way is `mkdir <path>: not a directory`. */
async function ensureDirs(dir: string): Promise<void> {
  const info = await fs.stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new Error(`stat ${dir}: ${error.code === 'ENOTDIR' ? 'not a directory' : error.message}`)
  })
  if (info?.isDirectory()) return
  if (info) throw new Error(`mkdir ${dir}: not a directory`)
  await ensureDirs(path.dirname(dir))
  await fs.mkdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error
  })
}

function entryType(info: { isFile(): boolean; isDirectory(): boolean }): string {
  if (info.isFile()) return 'FILE_TYPE_FILE'
  if (info.isDirectory()) return 'FILE_TYPE_DIRECTORY'
  return 'FILE_TYPE_UNSPECIFIED'
}

function signalName(signal: NodeJS.Signals): string {
  return signal === 'SIGKILL' ? 'killed' : signal === 'SIGTERM' ? 'terminated' : signal
}

/** A Connect streaming envelope: one flags byte, a big-endian length, the JSON message. */
function envelope(flags: number, message: unknown): Buffer {
  const data = Buffer.from(JSON.stringify(message))
  const header = Buffer.alloc(5)
  header.writeUInt8(flags, 0)
  header.writeUInt32BE(data.length, 1)
  return Buffer.concat([header, data])
}

function unenvelope(body: Buffer): Buffer {
  return body.subarray(5, 5 + body.readUInt32BE(1))
}
