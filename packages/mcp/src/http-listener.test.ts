// The server over real Streamable HTTP on 127.0.0.1 (port 0) with the official SDK client: tools,
// state per session, files, limits, progress, cancellation, isolation, auth, the session cap,
// loopback binding and protocol errors for malformed requests.
import { request as httpRequest } from 'node:http'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { McpErrorCodes } from './errors.js'
import { createPyflueMcpServer, type PyflueMcpServer } from './server.js'

const clients: Client[] = []
async function connect(url: string, headers?: Record<string, string>) {
  const transport = new StreamableHTTPClientTransport(
    new URL(url),
    headers ? { requestInit: { headers } } : {},
  )
  const client = new Client({ name: 'test', version: '1' })
  await client.connect(transport)
  clients.push(client)
  return { client, transport }
}
const textOf = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text
const run = async (client: Client, code: string, inputs?: Record<string, unknown>) =>
  (await client.callTool({
    name: 'run_code',
    arguments: { code, ...(inputs ? { inputs } : {}) },
  })) as CallToolResult

let server: PyflueMcpServer
let url: string
beforeAll(async () => {
  server = createPyflueMcpServer({
    pythonBackend: 'monty',
    sandbox: 'virtual',
    files: { 'data.csv': 'city,temp\nOslo,4\nCairo,25\n' },
    resourceLimits: { maxDurationSecs: 300 },
    externalFunctions: { double: (x: number) => x * 2 },
  })
  url = (await server.listen({ port: 0 })).url
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})))
  await server.close()
})

describe('Streamable HTTP', () => {
  it('binds to 127.0.0.1 by default and refuses a foreign Host header', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
    const status = await new Promise<number>((done, fail) => {
      const req = httpRequest(
        url,
        { method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json' } },
        (res) => {
          res.resume()
          done(res.statusCode ?? 0)
        },
      )
      req.on('error', fail)
      req.end('{}')
    })
    expect(status).toBe(403)
  })

  it('lists run_code and the file tools, with the external functions in the description', async () => {
    const { client } = await connect(url)
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(['run_code', 'read_file', 'write_file', 'list_files'])
    expect(tools[0]!.description).toContain('def double(')
    expect(tools[0]!.inputSchema.required).toEqual(['code'])
  })

  it('runs code with inputs, keeps state across calls of one session, and returns structured content', async () => {
    const { client } = await connect(url)
    const first = await run(client, 'total = n * 10\nprint("set")\ntotal', { n: 4 })
    expect(textOf(first)).toBe('stdout:\nset\nresult: 40')
    expect(first.structuredContent).toMatchObject({ stdout: 'set\n', result: 40 })
    const second = await run(client, 'double(total) + 1')
    expect(second.isError).toBeFalsy()
    expect(second.structuredContent).toMatchObject({ result: 81 })
  })

  it('answers a Python exception with its traceback and isError, and the session keeps working', async () => {
    const { client } = await connect(url)
    const failed = await run(client, 'x = 1\n1 / 0')
    expect(failed.isError).toBe(true)
    expect(textOf(failed)).toContain('ZeroDivisionError')
    expect(failed.structuredContent).toMatchObject({
      error: { type: 'ZeroDivisionError', code: 'PYTHON_RUNTIME' },
    })
    expect(textOf(await run(client, 'x'))).toContain('NameError') // the failed run left nothing behind
    expect((await run(client, 'y = 2\ny')).structuredContent).toMatchObject({ result: 2 })
  })

  it('gives Python and the file tools the same workspace', async () => {
    const { client } = await connect(url)
    const hottest = await run(
      client,
      "from pathlib import Path\nrows = [l.split(',') for l in Path('/data.csv').read_text().splitlines()[1:]]\nmax(rows, key=lambda r: int(r[1]))[0]",
    )
    expect(hottest.structuredContent).toMatchObject({ result: 'Cairo' })
    await client.callTool({ name: 'write_file', arguments: { path: 'notes/a.txt', content: 'hello' } })
    expect(textOf(await client.callTool({ name: 'list_files', arguments: {} }))).toBe('data.csv\nnotes/')
    expect((await run(client, "Path('/notes/a.txt').read_text()")).structuredContent).toMatchObject({
      result: 'hello',
    })
    const missing = (await client.callTool({
      name: 'read_file',
      arguments: { path: 'nope.txt' },
    })) as CallToolResult
    expect(missing.isError).toBe(true)
    expect(textOf(missing)).toMatch(/^Error \(SANDBOX_FILE\)/)
  })

  it('isolates two sessions: names and files of one are not in the other', async () => {
    const a = await connect(url)
    const b = await connect(url)
    await run(a.client, 'secret = 42')
    await a.client.callTool({ name: 'write_file', arguments: { path: 'mine.txt', content: 'a' } })
    const seen = await run(b.client, 'secret')
    expect(seen.isError).toBe(true)
    expect(textOf(seen)).toContain('NameError')
    const files = await b.client.callTool({ name: 'list_files', arguments: {} })
    expect(textOf(files)).toBe('data.csv')
  })

  it('reports what a run prints as progress notifications', async () => {
    const { client } = await connect(url)
    const messages: string[] = []
    const result = (await client.callTool(
      { name: 'run_code', arguments: { code: 'for i in range(3):\n    print(f"step {i}")' } },
      undefined,
      { onprogress: (p) => messages.push(String(p.message)) },
    )) as CallToolResult
    expect(result.isError).toBeFalsy()
    expect(messages.join('')).toContain('step 2')
  })

  it('cancellation (notifications/cancelled) aborts a busy loop; the session stays as before the run', async () => {
    const { client } = await connect(url)
    await run(client, 'kept = 1')
    const controller = new AbortController()
    const call = client.callTool(
      { name: 'run_code', arguments: { code: 'kept = 2\nprint("started")\nwhile True:\n    pass' } },
      undefined,
      { signal: controller.signal, onprogress: () => controller.abort() },
    )
    await expect(call).rejects.toThrow()
    // Runs of one session are serial: this answers only because the busy loop was stopped
    // (its own deadline is 300 s, past this test's timeout).
    const after = await run(client, 'kept')
    expect(after.structuredContent).toMatchObject({ result: 1 })
  })

  it('answers malformed requests with JSON-RPC errors and keeps serving', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body,
      })
    const notJson = await post('{not json')
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as { error: any }).error.code).toBe(-32700)
    const noSession = await post('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
    expect(noSession.status).toBe(400)
    expect(((await noSession.json()) as { error: any }).error.code).toBe(-32600)
    const unknown = await post('{"jsonrpc":"2.0","id":1,"method":"tools/list"}', { 'mcp-session-id': 'nope' })
    expect(unknown.status).toBe(404)
    const { client, transport } = await connect(url)
    const garbage = await post('{"hello":"world"}', {
      'mcp-session-id': transport.sessionId!,
      'mcp-protocol-version': '2025-06-18',
    })
    expect(garbage.status).toBe(400)
    expect(((await garbage.json()) as { error: any }).error).toBeDefined()
    expect((await run(client, '1 + 1')).structuredContent).toMatchObject({ result: 2 })
  })

  it('refuses an unknown tool with a protocol error', async () => {
    const { client } = await connect(url)
    await expect(client.callTool({ name: 'rm_rf', arguments: {} })).rejects.toThrow(/Unknown tool/)
    await expect(client.callTool({ name: 'run_code', arguments: {} })).rejects.toThrow(/needs `code`/)
  })
})

describe('limits, auth and the session cap', () => {
  it('a run past its limit answers the limit by name', async () => {
    const limited = createPyflueMcpServer({ resourceLimits: { maxAllocations: 10_000 } })
    try {
      const { client } = await connect((await limited.listen()).url)
      const result = await run(client, 'xs = [str(i) for i in range(1000000)]\nlen(xs)')
      expect(result.isError).toBe(true)
      expect(result.structuredContent).toMatchObject({
        error: { code: 'RESOURCE_LIMIT', limit: 'maxAllocations' },
      })
    } finally {
      await limited.close()
    }
  })

  it('an auth hook refuses requests without the token with 401 and MCP_UNAUTHORIZED', async () => {
    const guarded = createPyflueMcpServer()
    try {
      const listener = await guarded.listen({ auth: (req) => req.headers.authorization === 'Bearer s3cret' })
      const refused = await fetch(listener.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
      })
      expect(refused.status).toBe(401)
      expect(((await refused.json()) as { error: any }).error.data.code).toBe(McpErrorCodes.MCP_UNAUTHORIZED)
      await expect(connect(listener.url)).rejects.toMatchObject({ code: 401, message: /MCP_UNAUTHORIZED/ })
      expect(listener.sessionCount()).toBe(0)
      const { client } = await connect(listener.url, { authorization: 'Bearer s3cret' })
      expect((await run(client, '6 * 7')).structuredContent).toMatchObject({ result: 42 })
    } finally {
      await guarded.close()
    }
  })

  it('refuses to bind beyond loopback without an auth hook', async () => {
    const open = createPyflueMcpServer()
    try {
      await expect(open.listen({ host: '0.0.0.0' })).rejects.toMatchObject({
        name: 'InvalidArgumentError',
        argument: 'auth',
        message: expect.stringContaining('needs an auth hook'),
      })
      expect(open.connections.size).toBe(0)
    } finally {
      await open.close()
    }
  })

  it('refuses a session past maxSessions with 503 and MCP_SESSION_LIMIT; a closed session frees its slot', async () => {
    const capped = createPyflueMcpServer()
    try {
      const listener = await capped.listen({ maxSessions: 1 })
      const first = await connect(listener.url)
      await expect(connect(listener.url)).rejects.toMatchObject({ code: 503, message: /MCP_SESSION_LIMIT/ })
      await first.transport.terminateSession()
      await capped.connections.values().next().value?.closed
      expect(listener.sessionCount()).toBe(0)
      const second = await connect(listener.url)
      expect((await run(second.client, '1')).structuredContent).toMatchObject({ result: 1 })
    } finally {
      await capped.close()
    }
  })
})
