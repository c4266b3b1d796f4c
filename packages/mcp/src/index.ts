// @pyflue/mcp: a PyFlue MCP server (run_code and file tools over stdio or Streamable HTTP) and
// code mode (any MCP server's tools as Python functions).

export { type JsonSchema, pythonSignature, pythonType } from '@pyflue/core'
export {
  type McpPythonTools,
  type McpServerConfig,
  type McpToolSource,
  type McpToolsAsPythonOptions,
  mcpToolsAsPython,
  pythonName,
} from './code-mode.js'
export { McpErrorCodes, McpSessionLimitError, McpToolError, McpUnauthorizedError } from './errors.js'
export type { HttpListenOptions, PyflueMcpHttpServer } from './http-listener.js'
export { createPyflueMcpServer, type PyflueMcpConnection, type PyflueMcpServer } from './server.js'
export type { PyflueMcpServerOptions } from './server-options.js'
