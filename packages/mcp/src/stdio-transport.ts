// The stdio transport of `serveStdio`: the SDK's `StdioServerTransport`, plus the answers JSON-RPC
// 2.0 requires for input it cannot read. The SDK drops a line that is not JSON, or not a JSON-RPC
// message, after reporting it to `onerror`; here that line is also answered on stdout, with
// `-32700` (parse error) or `-32600` (invalid request) and `id: null`, and the transport keeps
// reading the next line.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js'

/** A stdio server transport over the given streams that answers unreadable lines. */
export function stdioTransport(
  stdin: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
): StdioServerTransport {
  const transport = new StdioServerTransport(stdin as NodeJS.ReadStream, stdout as NodeJS.WriteStream)
  // Set before `connect`: the SDK's Protocol calls a handler that is already set, then its own.
  transport.onerror = (error) => {
    const answer = unreadableLineAnswer(error)
    if (answer) transport.send(answer as unknown as JSONRPCMessage).catch(() => {})
  }
  return transport
}

/** The error answer for an error the read buffer raised, or `undefined` for other errors. */
function unreadableLineAnswer(error: unknown) {
  if (error instanceof SyntaxError) {
    return {
      jsonrpc: '2.0',
      id: null,
      error: { code: ErrorCode.ParseError, message: 'Parse error: the line is not JSON.' },
    }
  }
  if (error instanceof Error && error.name === 'ZodError') {
    return {
      jsonrpc: '2.0',
      id: null,
      error: {
        code: ErrorCode.InvalidRequest,
        message: 'Invalid request: the line is not a JSON-RPC 2.0 message.',
      },
    }
  }
  return undefined
}
