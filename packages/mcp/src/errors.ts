// The errors of this package: each a `PyFlueError` with a stable code. Over HTTP a refusal is
// also a JSON-RPC error whose `data.code` is the same code, so a remote client can switch on it.
import { PyFlueError } from '@pyflue/core'

/** Stable codes of this package's errors. */
export const McpErrorCodes = {
  MCP_SESSION_LIMIT: 'MCP_SESSION_LIMIT',
  MCP_UNAUTHORIZED: 'MCP_UNAUTHORIZED',
  MCP_TOOL: 'MCP_TOOL',
} as const

/** A new MCP session was refused because `maxSessions` sessions are open (HTTP 503). */
export class McpSessionLimitError extends PyFlueError {
  readonly maxSessions: number
  constructor(maxSessions: number) {
    super(
      McpErrorCodes.MCP_SESSION_LIMIT,
      `The server already has ${maxSessions} open sessions (maxSessions); close one or try later.`,
    )
    this.maxSessions = maxSessions
  }
}

/** A request was refused by the server's `auth` hook (HTTP 401). */
export class McpUnauthorizedError extends PyFlueError {
  constructor() {
    super(McpErrorCodes.MCP_UNAUTHORIZED, 'Unauthorized: the request did not pass the server’s auth check.')
  }
}

/**
 * An MCP tool called from Python failed: the tool answered `isError: true`, or the server
 * answered the call with a protocol error. Python sees it as a `RuntimeError` with this message.
 */
export class McpToolError extends PyFlueError {
  /** The tool's name on its server. */
  readonly tool: string
  /** The JSON-RPC error code, when the server answered with a protocol error. */
  readonly rpcCode?: number
  constructor(init: { tool: string; message: string; rpcCode?: number; cause?: unknown }) {
    super(McpErrorCodes.MCP_TOOL, `${init.tool} failed: ${init.message}`, { cause: init.cause })
    this.tool = init.tool
    if (init.rpcCode !== undefined) this.rpcCode = init.rpcCode
  }
}
