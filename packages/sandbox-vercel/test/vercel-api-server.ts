/**
 * Test infrastructure: a local stand-in for the Vercel Sandbox REST API, on 127.0.0.1, so that
 * the real `@vercel/sandbox` SDK runs offline. Each sandbox's "VM" is a temp directory on this
 * host, and commands are real processes (`spawn(cmd, args)`, normally `bash -c …`) with that
 * directory as the session's working directory. It speaks the endpoints the SDK calls for
 * create / get, commands (start, wait, NDJSON logs, kill), file read / write (gzipped tar) /
 * mkdir, and stop, with the response shapes the SDK validates.
 *
 * It is not a sandbox: commands run on this host with the test's user. Only tests use it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { gunzipSync } from 'node:zlib'
import { killGroup, readBody, sendJson } from '@pyflue/test-support'
import { readTar } from './tar-reader.js'

/** The base URL the SDK calls by default; `server.fetch` redirects it to the local server. */
export const VERCEL_API_BASE = 'https://vercel.com/api'

export interface VercelApiServerOptions {
  token?: string
  teamId?: string
  projectId?: string
}

export interface InjectedFailure {
  status: number
  code: string
  message: string
  /** Seconds; sent as `Retry-After` (the SDK gives up at once above 20). */
  retryAfter?: number
}

export interface RecordedRequest {
  method: string
  path: string
  body: string
}

interface LogLine {
  stream: 'stdout' | 'stderr'
  data: string
}

interface CommandState {
  id: string
  sessionId: string
  name: string
  args: string[]
  cwd: string
  startedAt: number
  exitCode: number | null
  durationMs?: number
  logs: LogLine[]
  listeners: Set<() => void>
  child: ChildProcess
  done: Promise<void>
}

interface SessionState {
  id: string
  sandboxName: string
  status: 'running' | 'stopped'
  cwd: string
  timeout: number
  runtime?: string
  createdAt: number
  updatedAt: number
  stoppedAt?: number
}

interface SandboxState {
  name: string
  root: string
  env: Record<string, string>
  runtime?: string
  image?: string
  timeout: number
  vcpus: number
  tags?: Record<string, string>
  createdAt: number
  currentSessionId: string
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }
const SIGNAL_NAMES: Record<number, NodeJS.Signals> = { 1: 'SIGHUP', 2: 'SIGINT', 9: 'SIGKILL', 15: 'SIGTERM' }

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export class VercelApiServer {
  readonly credentials: { token: string; teamId: string; projectId: string }
  readonly requests: RecordedRequest[] = []
  readonly sandboxes = new Map<string, SandboxState>()
  readonly #sessions = new Map<string, SessionState>()
  readonly #commands = new Map<string, CommandState>()
  readonly #failures: InjectedFailure[] = []
  readonly #server = createServer((request, response) => {
    this.#handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        const failure =
          error instanceof HttpError ? error : new HttpError(500, 'internal_error', String(error))
        sendJson(response, failure.status, { error: { code: failure.code, message: failure.message } })
      } else {
        response.destroy()
      }
    })
  })
  #counter = 0
  #url = ''

  private constructor(options: VercelApiServerOptions) {
    this.credentials = {
      token: options.token ?? 'test-token',
      teamId: options.teamId ?? 'team_test',
      projectId: options.projectId ?? 'prj_test',
    }
  }

  /** Starts a server on 127.0.0.1 with an ephemeral port. */
  static async start(options: VercelApiServerOptions = {}): Promise<VercelApiServer> {
    const server = new VercelApiServer(options)
    await new Promise<void>((done) => server.#server.listen(0, '127.0.0.1', done))
    const { port } = server.#server.address() as AddressInfo
    server.#url = `http://127.0.0.1:${port}`
    return server
  }

  get url(): string {
    return this.#url
  }

  /** A `fetch` for the SDK's `fetch` option: sends its Vercel API calls to this server. */
  readonly fetch: typeof globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (!url.startsWith(VERCEL_API_BASE)) throw new Error(`unexpected URL in test: ${url}`)
    return globalThis.fetch(`${this.#url}${url.slice(VERCEL_API_BASE.length)}`, init)
  }

  /** Answers the next request with this failure instead of serving it. */
  failNext(failure: InjectedFailure): void {
    this.#failures.push(failure)
  }

  /** The host directory that plays the sandbox's files. */
  sandboxRoot(name: string): string {
    const sandbox = this.sandboxes.get(name)
    if (!sandbox) throw new Error(`no sandbox ${name}`)
    return sandbox.root
  }

  /** The status of the sandbox's current session. */
  sessionStatus(name: string): string | undefined {
    const sandbox = this.sandboxes.get(name)
    return sandbox ? this.#sessions.get(sandbox.currentSessionId)?.status : undefined
  }

  /** Commands still running, across sandboxes. */
  runningCommands(): number {
    return [...this.#commands.values()].filter((command) => command.exitCode === null).length
  }

  async close(): Promise<void> {
    for (const command of this.#commands.values()) killGroup(command.child, 'SIGKILL')
    await Promise.all([...this.#commands.values()].map((command) => command.done))
    this.#server.closeAllConnections()
    await new Promise<void>((done) => this.#server.close(() => done()))
    await Promise.all([...this.sandboxes.values()].map((s) => rm(s.root, { recursive: true, force: true })))
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.#url)
    const raw = await readBody(request)
    const path = url.pathname
    const method = request.method ?? 'GET'
    this.requests.push({ method, path, body: raw.toString('utf8') })

    const failure = this.#failures.shift()
    if (failure) {
      if (failure.retryAfter !== undefined) response.setHeader('retry-after', String(failure.retryAfter))
      sendJson(response, failure.status, { error: { code: failure.code, message: failure.message } })
      return
    }
    if (request.headers.authorization !== `Bearer ${this.credentials.token}`) {
      throw new HttpError(403, 'forbidden', 'Not authorized: the token is invalid or has expired.')
    }
    if (url.searchParams.get('teamId') !== this.credentials.teamId) {
      throw new HttpError(403, 'forbidden', 'Not authorized for this team.')
    }
    const json = () => (raw.length === 0 ? {} : (JSON.parse(raw.toString('utf8')) as Record<string, any>))

    if (method === 'POST' && (path === '/v3/sandboxes' || path === '/v2/sandboxes')) {
      return this.#create(json(), response)
    }
    const sessionMatch = /^\/v2\/sandboxes\/sessions\/([^/]+)(\/.*)?$/.exec(path)
    if (sessionMatch) {
      const session = this.#sessions.get(sessionMatch[1]!)
      if (!session) throw new HttpError(404, 'not_found', `Session ${sessionMatch[1]} not found.`)
      return this.#sessionRoute(method, sessionMatch[2] ?? '', session, url, raw, json, request, response)
    }
    const sandboxMatch = /^\/v2\/sandboxes\/([^/]+)$/.exec(path)
    if (method === 'GET' && sandboxMatch) {
      return this.#get(
        decodeURIComponent(sandboxMatch[1]!),
        url.searchParams.get('resume') === 'true',
        response,
      )
    }
    throw new HttpError(404, 'not_found', `No route for ${method} ${path}.`)
  }

  async #create(body: Record<string, any>, response: ServerResponse): Promise<void> {
    if (body.projectId !== this.credentials.projectId) {
      throw new HttpError(403, 'forbidden', 'Not authorized for this project.')
    }
    const name = typeof body.name === 'string' ? body.name : `sbx_${++this.#counter}`
    if (this.sandboxes.has(name)) throw new HttpError(409, 'conflict', `Sandbox ${name} already exists.`)
    const root = await mkdtemp(join(tmpdir(), 'pyflue-vercel-vm-'))
    const now = Date.now()
    const sandbox: SandboxState = {
      name,
      root,
      env: body.env ?? {},
      runtime: body.runtime,
      image: body.image,
      timeout: body.timeout ?? 300_000,
      vcpus: body.resources?.vcpus ?? 2,
      tags: body.tags,
      createdAt: now,
      currentSessionId: '',
    }
    this.sandboxes.set(name, sandbox)
    this.#newSession(sandbox)
    sendJson(response, 200, this.#sandboxAndSession(sandbox))
  }

  #get(name: string, resume: boolean, response: ServerResponse): void {
    const sandbox = this.sandboxes.get(name)
    if (!sandbox) throw new HttpError(404, 'not_found', `Sandbox ${name} not found.`)
    const session = this.#sessions.get(sandbox.currentSessionId)!
    if (session.status === 'stopped' && resume) {
      throw new HttpError(410, 'sandbox_stopped', `Sandbox ${name} is stopped and is not persistent.`)
    }
    sendJson(response, 200, this.#sandboxAndSession(sandbox))
  }

  async #sessionRoute(
    method: string,
    rest: string,
    session: SessionState,
    url: URL,
    raw: Buffer,
    json: () => Record<string, any>,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const sandbox = this.sandboxes.get(session.sandboxName)!
    if (method === 'GET' && rest === '') {
      sendJson(response, 200, { session: this.#sessionJson(session), routes: [] })
      return
    }
    if (session.status !== 'running') {
      throw new HttpError(410, 'sandbox_stopped', `Sandbox ${sandbox.name} is stopped.`)
    }
    if (method === 'POST' && rest === '/cmd') return this.#runCommand(sandbox, session, json(), response)
    const match = /^\/cmd\/([^/]+)(\/logs|\/kill)?$/.exec(rest)
    if (match) {
      const command = this.#commands.get(match[1]!)
      if (!command || command.sessionId !== session.id) {
        throw new HttpError(404, 'not_found', `Command ${match[1]} not found.`)
      }
      if (method === 'GET' && match[2] === undefined) {
        if (url.searchParams.get('wait') === 'true') await command.done
        sendJson(response, 200, { command: commandJson(command) })
        return
      }
      if (method === 'GET' && match[2] === '/logs') return streamLogs(command, response, false)
      if (method === 'POST' && match[2] === '/kill') {
        const number = Number(json().signal ?? 15)
        if (command.exitCode === null) killGroup(command.child, SIGNAL_NAMES[number] ?? 'SIGTERM')
        sendJson(response, 200, { command: commandJson(command) })
        return
      }
    }
    if (method === 'POST' && rest === '/fs/read') {
      const body = json()
      const target = this.#confine(sandbox, resolve(body.cwd ?? session.cwd, body.path))
      const info = await stat(target).catch(() => undefined)
      if (!info) throw new HttpError(404, 'file_not_found', `File ${body.path} not found.`)
      if (!info.isFile()) throw new HttpError(400, 'bad_request', `${body.path} is not a regular file.`)
      const content = await readFile(target)
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': content.length,
      })
      response.end(content)
      return
    }
    if (method === 'POST' && rest === '/fs/write') {
      const extractDir = String(request.headers['x-cwd'] ?? '/')
      for (const entry of readTar(gunzipSync(raw))) {
        const target = this.#confine(sandbox, resolve(extractDir, entry.name))
        if (entry.type === 'directory') {
          await mkdir(target, { recursive: true })
        } else if (entry.type === 'file') {
          await mkdir(dirname(target), { recursive: true })
          const info = await stat(target).catch(() => undefined)
          if (info?.isDirectory()) throw new HttpError(400, 'bad_request', `${entry.name} is a directory.`)
          await writeFile(target, entry.content)
          // As tar does for a user without privileges: the header's mode, less the umask.
          await chmod(target, entry.mode & 0o777 & ~0o022)
        }
      }
      sendJson(response, 200, {})
      return
    }
    if (method === 'POST' && rest === '/fs/mkdir') {
      const body = json()
      const target = this.#confine(sandbox, resolve(body.cwd ?? session.cwd, body.path))
      try {
        await mkdir(target)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        throw new HttpError(code === 'EEXIST' ? 409 : 400, 'bad_request', `mkdir ${body.path}: ${code}`)
      }
      sendJson(response, 200, {})
      return
    }
    if (method === 'POST' && rest === '/stop') {
      for (const command of this.#commands.values()) {
        if (command.sessionId === session.id && command.exitCode === null) killGroup(command.child, 'SIGKILL')
      }
      session.status = 'stopped'
      session.stoppedAt = Date.now()
      session.updatedAt = Date.now()
      sendJson(response, 200, {
        session: this.#sessionJson(session),
        sandbox: this.#sandboxAndSession(sandbox).sandbox,
      })
      return
    }
    throw new HttpError(404, 'not_found', `No route for ${method} ${rest}.`)
  }

  async #runCommand(
    sandbox: SandboxState,
    session: SessionState,
    body: Record<string, any>,
    response: ServerResponse,
  ): Promise<void> {
    const cwd = this.#confine(sandbox, resolve(session.cwd, body.cwd ?? session.cwd))
    const info = await stat(cwd).catch(() => undefined)
    if (!info?.isDirectory()) throw new HttpError(400, 'bad_request', `cwd ${body.cwd} is not a directory.`)
    const argv = [String(body.command), ...(body.args ?? []).map(String)]
    if (argv.some((arg) => arg.includes('\0'))) {
      throw new HttpError(400, 'bad_request', 'Command arguments cannot contain NUL bytes.')
    }
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      // A clean environment: the "VM" does not see this host's variables.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox.root, ...sandbox.env, ...body.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const command: CommandState = {
      id: `cmd_${++this.#counter}`,
      sessionId: session.id,
      name: String(body.command),
      args: (body.args ?? []).map(String),
      cwd,
      startedAt: Date.now(),
      exitCode: null,
      logs: [],
      listeners: new Set(),
      child,
      done: Promise.resolve(),
    }
    const emit = (line: LogLine) => {
      command.logs.push(line)
      for (const listener of command.listeners) listener()
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8')
      child[stream]!.on('data', (chunk: Buffer) => {
        const data = decoder.write(chunk)
        if (data) emit({ stream, data })
      })
    }
    const timer =
      typeof body.timeout === 'number'
        ? setTimeout(() => killGroup(child, 'SIGKILL'), body.timeout)
        : undefined
    command.done = new Promise<void>((done) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (timer) clearTimeout(timer)
        command.exitCode = code ?? 128 + (SIGNAL_NUMBERS[signal ?? 'SIGKILL'] ?? 9)
        command.durationMs = Date.now() - command.startedAt
        for (const listener of command.listeners) listener()
        done()
      }
      child.on('error', (error) => {
        emit({ stream: 'stderr', data: `${error.message}\n` })
        finish(127, null)
      })
      child.on('close', finish)
    })
    this.#commands.set(command.id, command)
    if (body.wait) {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' })
      response.write(`${JSON.stringify({ command: commandJson(command) })}\n`)
      return streamLogs(command, response, true)
    }
    sendJson(response, 200, { command: commandJson(command) })
  }

  #newSession(sandbox: SandboxState): SessionState {
    const now = Date.now()
    const session: SessionState = {
      id: `sess_${++this.#counter}`,
      sandboxName: sandbox.name,
      status: 'running',
      cwd: sandbox.root,
      timeout: sandbox.timeout,
      ...(sandbox.runtime ? { runtime: sandbox.runtime } : {}),
      createdAt: now,
      updatedAt: now,
    }
    this.#sessions.set(session.id, session)
    sandbox.currentSessionId = session.id
    return session
  }

  #sessionJson(session: SessionState) {
    return {
      id: session.id,
      memory: 4096,
      vcpus: this.sandboxes.get(session.sandboxName)?.vcpus ?? 2,
      region: 'iad1',
      ...(session.runtime ? { runtime: session.runtime } : {}),
      timeout: session.timeout,
      status: session.status,
      requestedAt: session.createdAt,
      startedAt: session.createdAt,
      createdAt: session.createdAt,
      cwd: session.cwd,
      updatedAt: session.updatedAt,
      ...(session.stoppedAt ? { stoppedAt: session.stoppedAt } : {}),
    }
  }

  #sandboxAndSession(sandbox: SandboxState) {
    const session = this.#sessions.get(sandbox.currentSessionId)!
    return {
      sandbox: {
        name: sandbox.name,
        persistent: false,
        region: 'iad1',
        vcpus: sandbox.vcpus,
        memory: 4096,
        ...(sandbox.runtime ? { runtime: sandbox.runtime } : {}),
        ...(sandbox.image ? { image: sandbox.image } : {}),
        timeout: sandbox.timeout,
        createdAt: sandbox.createdAt,
        updatedAt: session.updatedAt,
        currentSessionId: session.id,
        status: session.status,
        cwd: session.cwd,
        ...(sandbox.tags ? { tags: sandbox.tags } : {}),
      },
      session: this.#sessionJson(session),
      routes: [],
    }
  }

  /** The file endpoints serve only the sandbox's own directory (the "VM"), never the rest of this host. */
  #confine(sandbox: SandboxState, target: string): string {
    if (!isAbsolute(target) || (target !== sandbox.root && !target.startsWith(`${sandbox.root}/`))) {
      throw new HttpError(403, 'forbidden', `${target} is outside this test sandbox.`)
    }
    return target
  }
}

function commandJson(command: CommandState) {
  return {
    id: command.id,
    name: command.name,
    args: command.args,
    cwd: command.cwd,
    sessionId: command.sessionId,
    exitCode: command.exitCode,
    ...(command.durationMs === undefined ? {} : { durationMs: command.durationMs }),
    startedAt: command.startedAt,
  }
}

/** Streams the command's log lines as NDJSON until it has exited; `withFinish` ends with the finished command. */
function streamLogs(command: CommandState, response: ServerResponse, withFinish: boolean): void {
  if (!response.headersSent) response.writeHead(200, { 'content-type': 'application/x-ndjson' })
  let sent = 0
  const flush = () => {
    while (sent < command.logs.length) response.write(`${JSON.stringify(command.logs[sent++])}\n`)
    if (command.exitCode !== null) {
      command.listeners.delete(flush)
      if (withFinish) response.write(`${JSON.stringify({ command: commandJson(command) })}\n`)
      response.end()
    }
  }
  command.listeners.add(flush)
  response.on('close', () => command.listeners.delete(flush))
  flush()
}
