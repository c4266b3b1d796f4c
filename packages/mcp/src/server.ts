// `createPyflueMcpServer`: one object that serves PyFlue sessions to MCP clients over any SDK
// transport (stdio, Streamable HTTP, in-memory). Each connection is one MCP session with its own
// PyFlue session (its own Python namespace and sandbox); closing the connection closes it.
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { PythonBackend, Sandbox } from '@pyflue/core'
import { type HttpListenOptions, listenHttp, type PyflueMcpHttpServer } from './http-listener.js'
import { openSession, type PyflueSession, resolveFactories, type SessionFactories } from './pyflue-session.js'
import { DEFAULT_MAX_OUTPUT_CHARS } from './run-code-output.js'
import { checkServerOptions, type PyflueMcpServerOptions } from './server-options.js'
import { createSessionServer, type SessionServerConfig } from './session-server.js'
import { stdioTransport } from './stdio-transport.js'

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version

/** One MCP session connected to a transport. */
export interface PyflueMcpConnection {
  readonly sessionId: string
  /** The session's Python backend (e.g. to inspect or dump its state). */
  readonly pythonBackend: PythonBackend
  /** The session's sandbox, when one is configured. */
  readonly sandbox: Sandbox | undefined
  /** The SDK server of this session. */
  readonly mcpServer: Server
  /** Resolves once the session is closed (by the client, the transport, or `close`). */
  readonly closed: Promise<void>
  /** Closes the transport and the session (saving its state when `saveState` is set). */
  close(): Promise<void>
}

/** A PyFlue MCP server: connect transports, or serve stdio or HTTP. */
export interface PyflueMcpServer {
  /** Opens a new session and serves it over `transport` (any SDK server transport). */
  connect(transport: Transport, options?: { sessionId?: string }): Promise<PyflueMcpConnection>
  /**
   * Serves one session over stdin/stdout (or the given streams) for the life of the process. A
   * line that is not JSON is answered with `-32700`, one that is not JSON-RPC with `-32600`.
   */
  serveStdio(streams?: {
    stdin?: NodeJS.ReadableStream
    stdout?: NodeJS.WritableStream
  }): Promise<PyflueMcpConnection>
  /** Serves Streamable HTTP: one session per MCP session, on 127.0.0.1 unless told otherwise. */
  listen(options?: HttpListenOptions): Promise<PyflueMcpHttpServer>
  /** The sessions open now. */
  readonly connections: ReadonlySet<PyflueMcpConnection>
  /** Closes every open session and HTTP listener. */
  close(): Promise<void>
}

/**
 * Makes a server. Options are checked now (unknown keys and bad values are
 * `InvalidArgumentError`); the backend and sandbox names resolve on the first session, so a
 * missing package is `PackageNotInstalledError` from the first `connect`/`serveStdio`/`listen`.
 */
export function createPyflueMcpServer(options: PyflueMcpServerOptions = {}): PyflueMcpServer {
  checkServerOptions(options)
  let factories: Promise<SessionFactories> | undefined
  const resolve = () => {
    factories ??= resolveFactories(options)
    factories.catch(() => (factories = undefined))
    return factories
  }
  const config: SessionServerConfig = {
    name: options.name ?? 'pyflue',
    version: options.version ?? VERSION,
    externalFunctions: options.externalFunctions ?? {},
    resourceLimits: options.resourceLimits,
    maxOutputChars: options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS,
    progressIntervalMs: (options.progressIntervalSecs ?? 5) * 1000,
    saveAfterRun: options.saveStateAfter === 'run',
  }
  const connections = new Set<PyflueMcpConnection>()
  const listeners = new Set<PyflueMcpHttpServer>()

  const connect: PyflueMcpServer['connect'] = async (transport, connectOptions = {}) => {
    const sessionId = connectOptions.sessionId ?? randomUUID()
    const session = await openSession(sessionId, await resolve(), options)
    return serveSession(session, transport)
  }

  async function serveSession(session: PyflueSession, transport: Transport): Promise<PyflueMcpConnection> {
    const mcpServer = createSessionServer(session, config)
    let markClosed!: () => void
    const closed = new Promise<void>((done) => (markClosed = done))
    const connection: PyflueMcpConnection = {
      sessionId: session.id,
      pythonBackend: session.backend,
      sandbox: session.sandbox,
      mcpServer,
      closed,
      close: async () => {
        await mcpServer.close().catch(() => {})
        await closed
      },
    }
    mcpServer.onclose = () => {
      connections.delete(connection)
      session
        .close()
        .catch(() => {})
        .finally(markClosed)
    }
    connections.add(connection)
    try {
      await mcpServer.connect(transport)
    } catch (error) {
      connections.delete(connection)
      await session.close().catch(() => {})
      throw error
    }
    return connection
  }

  return {
    connect,
    connections,
    serveStdio: (streams = {}) =>
      connect(stdioTransport(streams.stdin ?? process.stdin, streams.stdout ?? process.stdout)),
    listen: async (listenOptions = {}) => {
      await resolve()
      const listener = await listenHttp(connect, listenOptions)
      listeners.add(listener)
      listener.closed.then(() => listeners.delete(listener))
      return listener
    },
    close: async () => {
      await Promise.all([...listeners].map((listener) => listener.close()))
      await Promise.all([...connections].map((connection) => connection.close()))
    },
  }
}
