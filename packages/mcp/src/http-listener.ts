// Streamable HTTP for a PyFlue MCP server, on node:http. One MCP session (one `mcp-session-id`)
// is one PyFlue session. The listener binds to 127.0.0.1 unless told otherwise (another address
// needs an auth hook) and on loopback refuses requests whose Host header is not a loopback name
// (DNS rebinding); an `auth` hook sees
// every request first; `maxSessions` caps the open sessions, and a new one beyond it is refused
// with HTTP 503 and a JSON-RPC error whose `data.code` is `MCP_SESSION_LIMIT`; idle sessions close.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { ErrorCode, isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import { InvalidArgumentError, type PyFlueError, refuseUnknownKeys } from '@pyflue/core'
import { McpSessionLimitError, McpUnauthorizedError } from './errors.js'
import type { PyflueMcpConnection } from './server.js'

/** Options of `PyflueMcpServer.listen`. */
export interface HttpListenOptions {
  /** The TCP port; `0` picks a free one (see `PyflueMcpHttpServer.port`). Default `0`. */
  port?: number
  /**
   * The address to bind. Default `'127.0.0.1'`: only this machine can connect. Any other address
   * needs `auth` (an `InvalidArgumentError` otherwise).
   */
  host?: string
  /** The URL path of the MCP endpoint. Default `'/mcp'`. */
  path?: string
  /** Sees every request before anything else; resolving `false` refuses it with HTTP 401. */
  auth?: (request: IncomingMessage) => boolean | Promise<boolean>
  /** The most sessions open at once. Default 16. */
  maxSessions?: number
  /** A session without requests for this long is closed. Default 1800 (30 minutes). */
  sessionIdleSecs?: number
  /** Host header names accepted (without port). Default: loopback names when bound to loopback, else any. */
  allowedHosts?: readonly string[]
  /** The largest request body accepted, in bytes. Default 4 MiB. */
  maxBodyBytes?: number
}

const HTTP_LISTEN_OPTION_KEYS = Object.keys({
  port: true,
  host: true,
  path: true,
  auth: true,
  maxSessions: true,
  sessionIdleSecs: true,
  allowedHosts: true,
  maxBodyBytes: true,
} satisfies Record<keyof HttpListenOptions, true>)

/** A running HTTP listener. */
export interface PyflueMcpHttpServer {
  /** The endpoint's URL, e.g. `http://127.0.0.1:41234/mcp`. */
  readonly url: string
  readonly host: string
  readonly port: number
  /** How many sessions are open now. */
  sessionCount(): number
  /** Resolves once the listener is closed. */
  readonly closed: Promise<void>
  /** Stops listening and closes every session of this listener. */
  close(): Promise<void>
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1', '[::1]']

type Connect = (transport: Transport, options: { sessionId: string }) => Promise<PyflueMcpConnection>

interface HttpSession {
  readonly transport: StreamableHTTPServerTransport
  readonly connection: PyflueMcpConnection
  idle?: NodeJS.Timeout
}

/** Starts listening; resolves once the port is bound. */
export async function listenHttp(connect: Connect, options: HttpListenOptions): Promise<PyflueMcpHttpServer> {
  refuseUnknownKeys(options, HTTP_LISTEN_OPTION_KEYS, 'listen options')
  const host = options.host ?? '127.0.0.1'
  const path = options.path ?? '/mcp'
  const maxSessions = positiveInteger(options.maxSessions ?? 16, 'maxSessions')
  const idleMs = positiveInteger(options.sessionIdleSecs ?? 1800, 'sessionIdleSecs') * 1000
  const maxBodyBytes = positiveInteger(options.maxBodyBytes ?? 4 * 1024 * 1024, 'maxBodyBytes')
  if (options.auth !== undefined && typeof options.auth !== 'function') {
    throw new InvalidArgumentError('auth', 'auth must be a function (request) => boolean.')
  }
  const loopback = LOOPBACK_HOSTS.includes(host)
  if (!loopback && options.auth === undefined) {
    throw new InvalidArgumentError(
      'auth',
      `listen on ${host} needs an auth hook: run_code would be open to the network. Pass auth (e.g. a bearer token check), or auth: () => true when a proxy in front authenticates.`,
    )
  }
  const allowedHosts = options.allowedHosts ?? (loopback ? LOOPBACK_HOSTS : undefined)
  const sessions = new Map<string, HttpSession>()
  let opening = 0

  const touch = (session: HttpSession) => {
    clearTimeout(session.idle)
    session.idle = setTimeout(() => void session.connection.close(), idleMs)
    session.idle.unref()
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== path) return reply(res, 404, ErrorCode.InvalidRequest, `Not found: use ${path}`)
    if (allowedHosts && !allowedHosts.includes(hostName(req.headers.host))) {
      return reply(res, 403, ErrorCode.InvalidRequest, 'Forbidden: the Host header is not allowed.')
    }
    if (options.auth && !(await options.auth(req))) {
      res.setHeader('WWW-Authenticate', 'Bearer')
      return refuse(res, 401, new McpUnauthorizedError())
    }
    let body: unknown
    if (req.method === 'POST') {
      const text = await readBody(req, maxBodyBytes)
      if (text === undefined)
        return reply(res, 413, ErrorCode.InvalidRequest, 'The request body is too large.')
      try {
        body = JSON.parse(text)
      } catch {
        return reply(res, 400, ErrorCode.ParseError, 'Parse error: the body is not JSON.')
      }
    }
    const sessionId = req.headers['mcp-session-id']
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId)
      if (!session)
        return reply(res, 404, ErrorCode.InvalidRequest, 'Session not found: initialize a new one.')
      touch(session)
      return session.transport.handleRequest(req, res, body)
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return reply(
        res,
        400,
        ErrorCode.InvalidRequest,
        'Bad request: no mcp-session-id; send initialize first.',
      )
    }
    if (sessions.size + opening >= maxSessions) return refuse(res, 503, new McpSessionLimitError(maxSessions))
    opening += 1
    let session: HttpSession
    const id = randomUUID()
    try {
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id })
      const connection = await connect(transport, { sessionId: id })
      session = { transport, connection }
      sessions.set(id, session)
      connection.closed.then(() => {
        clearTimeout(session.idle)
        sessions.delete(id)
      })
    } catch (error) {
      const code = (error as PyFlueError | undefined)?.code
      return reply(
        res,
        500,
        ErrorCode.InternalError,
        'The session could not be opened.',
        code ? { code } : undefined,
      )
    } finally {
      opening -= 1
    }
    touch(session)
    await session.transport.handleRequest(req, res, body)
    if (session.transport.sessionId === undefined) await session.connection.close()
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, ErrorCode.InternalError, 'Internal error.')
      else res.end()
    })
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail)
      done()
    })
  })
  const { port } = server.address() as AddressInfo
  let markClosed!: () => void
  const closed = new Promise<void>((done) => (markClosed = done))
  let closing: Promise<void> | undefined
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}${path}`,
    host,
    port,
    sessionCount: () => sessions.size,
    closed,
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((done) => server.close(() => done()))
        await Promise.all([...sessions.values()].map((session) => session.connection.close()))
        server.closeAllConnections()
        await stopped
        markClosed()
      })()
      return closing
    },
  }
}

/** The host name of a Host header, without its port (IPv6 keeps its brackets). */
function hostName(header: string | undefined): string {
  if (!header) return ''
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1)
  return header.split(':')[0]!.toLowerCase()
}

/** Reads the body as text, or `undefined` once it passes `maxBytes`. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Answers with a JSON-RPC error carrying a PyFlue error's code in `data.code`. */
function refuse(res: ServerResponse, status: number, error: PyFlueError): void {
  const extra = error instanceof McpSessionLimitError ? { maxSessions: error.maxSessions } : {}
  reply(res, status, ErrorCode.ConnectionClosed, error.message, { code: error.code, ...extra })
}

function reply(res: ServerResponse, status: number, code: number, message: string, data?: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message, ...(data ? { data } : {}) } }))
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(name, `${name} must be a positive integer: got ${value}`)
  }
  return value
}
