#!/usr/bin/env node
// The `pyflue-mcp` command: a PyFlue MCP server over stdio (the default, for MCP clients that
// spawn it) or Streamable HTTP (`--http`, on 127.0.0.1). Options map onto
// `createPyflueMcpServer` and `listen`; logs go to stderr (stdout carries the protocol).
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createPyflueMcpServer } from './server.js'
import { stateFileHooks } from './state-file.js'
import { loadWorkspaceFiles } from './workspace-files.js'

const HELP = `Usage: pyflue-mcp [options]

Serves run_code (Python in Monty, state kept per session) to MCP clients.

  --backend <name>        Python backend from the registry (default: monty)
  --sandbox <name>        sandbox from the registry, e.g. virtual; adds file tools
  --dir <path>            copy this directory's files into each session's sandbox
                          (implies --sandbox virtual; changes are not written back)
  --timeout <secs>        wall-clock limit of one run (default: the backend's)
  --max-memory <bytes>    heap limit of one run (default: the backend's)
  --state-file <path>     stdio: load the Python state from this file at start (when it
                          exists) and save it there after every successful run
  --http                  serve Streamable HTTP instead of stdio
  --port <n>              HTTP port (default: 8000; 0 picks a free one)
  --host <address>        HTTP address to bind (default: 127.0.0.1; another needs --token-env)
  --max-sessions <n>      HTTP sessions open at once (default: 16)
  --token-env <VAR>       HTTP: require "Authorization: Bearer <value of VAR>"
  -h, --help              show this help
`

const LOOPBACK = ['127.0.0.1', 'localhost', '::1']

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string' },
      sandbox: { type: 'string' },
      dir: { type: 'string' },
      timeout: { type: 'string' },
      'max-memory': { type: 'string' },
      'state-file': { type: 'string' },
      http: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      'max-sessions': { type: 'string' },
      'token-env': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const stateFile = values['state-file']
  if (stateFile !== undefined && values.http) {
    throw new Error('--state-file keeps the one session of stdio; it does not apply to --http.')
  }
  const sandbox = values.sandbox ?? (values.dir ? 'virtual' : undefined)
  const resourceLimits = {
    ...(values.timeout ? { maxDurationSecs: number(values.timeout, '--timeout') } : {}),
    ...(values['max-memory'] ? { maxMemory: number(values['max-memory'], '--max-memory') } : {}),
  }
  const server = createPyflueMcpServer({
    pythonBackend: values.backend ?? 'monty',
    ...(sandbox ? { sandbox } : {}),
    ...(values.dir ? { files: await loadWorkspaceFiles(values.dir) } : {}),
    ...(Object.keys(resourceLimits).length > 0 ? { resourceLimits } : {}),
    ...(stateFile ? stateFileHooks(resolve(stateFile)) : {}),
  })
  const stop = () => {
    server.close().finally(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)

  if (!values.http) {
    const connection = await server.serveStdio()
    process.stdin.on('end', stop)
    connection.closed.then(stop)
    return
  }
  const tokenVar = values['token-env']
  const token = tokenVar ? process.env[tokenVar] : undefined
  if (tokenVar && !token) throw new Error(`--token-env ${tokenVar}: the variable is not set.`)
  if (values.host && !LOOPBACK.includes(values.host) && !token) {
    throw new Error(`--host ${values.host} needs --token-env: run_code would be open to the network.`)
  }
  const listener = await server.listen({
    port: values.port ? number(values.port, '--port') : 8000,
    ...(values.host ? { host: values.host } : {}),
    ...(values['max-sessions'] ? { maxSessions: number(values['max-sessions'], '--max-sessions') } : {}),
    ...(token ? { auth: (request) => request.headers.authorization === `Bearer ${token}` } : {}),
  })
  process.stderr.write(`pyflue-mcp: serving MCP over HTTP at ${listener.url}\n`)
}

function number(text: string, flag: string): number {
  const value = Number(text)
  if (!Number.isFinite(value)) throw new Error(`${flag} needs a number: got ${text}`)
  return value
}

main().catch((error: unknown) => {
  process.stderr.write(`pyflue-mcp: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
