// Code mode against real MCP servers: an SDK `McpServer` in this process (in-memory transport),
// and configs that start servers (this package's bin over stdio; a PyFlue server over HTTP).
// Python (real Monty) loops over a tool, passes keyword arguments, catches tool errors as
// exceptions and returns structured data.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { montyBackend } from '@pyflue/backend-monty'
import type { PythonBackend } from '@pyflue/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type McpPythonTools, mcpToolsAsPython, pythonName } from './code-mode.js'
import { createPyflueMcpServer } from './server.js'

const CITIES: Record<string, number> = { Oslo: 4, Cairo: 25 }

function toolServer(): McpServer {
  const server = new McpServer({ name: 'tools', version: '1' })
  server.registerTool(
    'add',
    {
      description: 'Adds two numbers.',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    async ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
      structuredContent: { sum: a + b },
    }),
  )
  server.registerTool(
    'city-temperature',
    {
      description: 'Temperature of a city.',
      inputSchema: { name: z.string(), units: z.enum(['celsius', 'fahrenheit']).optional() },
    },
    async ({ name, units }) => {
      const celsius = CITIES[name]
      if (celsius === undefined) throw new Error(`unknown city ${name}`)
      return {
        content: [{ type: 'text', text: String(units === 'fahrenheit' ? celsius * 1.8 + 32 : celsius) }],
      }
    },
  )
  server.registerTool(
    'cities',
    { description: 'Known cities.', inputSchema: { limit: z.number().int().optional() } },
    async ({ limit }) => ({
      content: [{ type: 'text', text: Object.keys(CITIES).slice(0, limit).join(',') }],
    }),
  )
  return server
}

let backend: PythonBackend
let client: Client
let tools: McpPythonTools
beforeAll(async () => {
  backend = await montyBackend().createBackend({ sessionId: 'code-mode' })
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await toolServer().connect(serverSide)
  client = new Client({ name: 'test', version: '1' })
  await client.connect(clientSide)
  tools = await mcpToolsAsPython(client)
})
afterAll(async () => {
  await tools?.close()
  await client?.close()
  await backend?.close()
})

describe('mcpToolsAsPython', () => {
  it('makes one function per tool with a typed signature from its schemas', () => {
    expect(Object.keys(tools.externalFunctions)).toEqual(['add', 'city_temperature', 'cities'])
    expect(tools.signatures).toEqual([
      'def add(a: float, b: float) -> dict[str, Any]  # Adds two numbers.',
      "def city_temperature(name: str, units: Literal['celsius', 'fahrenheit'] | None = None) -> Any  # Temperature of a city.",
      'def cities(limit: int | None = None) -> Any  # Known cities.',
    ])
    // The backend's own description (what run_code shows) agrees on which parameters are optional,
    // also for a schema without `required` (every parameter optional).
    const described = backend.describeExternalFunctions?.(tools.externalFunctions) ?? []
    expect(described[0]).toContain('def add(a: float, b: float)')
    expect(described[1]).toContain('def city_temperature(name: str, units: ')
    expect(described[1]).toContain(' | None = None)')
    expect(described[2]).toContain('def cities(limit: int | None = None)')
  })

  it('Python loops over a tool with keyword arguments, catches a tool error, returns structured data', async () => {
    const run = await backend.run(
      [
        'total = 0',
        'for i in range(5):',
        '    total = add(a=total, b=i)["sum"]',
        'try:',
        '    city_temperature(name="Atlantis")',
        '    error = None',
        'except RuntimeError as e:',
        '    error = str(e)',
        'try:',
        '    add(a=1)',
        '    missing = None',
        'except TypeError as e:',
        '    missing = str(e)',
        '{"total": total, "error": error, "missing": missing, "oslo_f": city_temperature("Oslo", units="fahrenheit"), "positional": add(2, 3), "all": cities(), "one": cities(limit=1)}',
      ].join('\n'),
      { externalFunctions: tools.externalFunctions },
    )
    expect(run.result).toMatchObject({
      total: 10,
      oslo_f: '39.2',
      positional: { sum: 5 },
      all: 'Oslo,Cairo',
      one: 'Oslo',
    })
    const result = run.result as { error: string; missing: string }
    expect(result.error).toContain('city-temperature failed: unknown city Atlantis')
    expect(result.missing).toContain("missing required argument 'b'")
  })

  it('an uncaught tool error is a Python traceback naming the tool', async () => {
    await expect(
      backend.run('city_temperature(name="Atlantis")', { externalFunctions: tools.externalFunctions }),
    ).rejects.toMatchObject({
      excType: 'RuntimeError',
      pythonMessage: expect.stringContaining('unknown city'),
    })
  })

  it('starts servers from configs (stdio command, HTTP url) and prefixes names by server', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url))
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      bin: Record<string, string>
    }
    const pyflue = createPyflueMcpServer()
    const listener = await pyflue.listen()
    const remote = await mcpToolsAsPython({
      local: { command: process.execPath, args: [join(root, manifest.bin['pyflue-mcp']!)], cwd: root },
      remote: { url: listener.url },
    })
    try {
      expect(Object.keys(remote.externalFunctions)).toEqual(['local_run_code', 'remote_run_code'])
      const run = await backend.run(
        'a = local_run_code(code="21 * 2")\nb = remote_run_code(code="x = 5\\nx", inputs={})\n[a["result"], b["result"]]',
        { externalFunctions: remote.externalFunctions },
      )
      expect(run.result).toEqual([42, 5])
    } finally {
      await remote.close()
      await pyflue.close()
    }
  })

  it('makes Python names of tool names, filters tools, and refuses unknown options and bad values', async () => {
    expect(pythonName('get-weather.v2')).toBe('get_weather_v2')
    expect(pythonName('2fa')).toBe('_2fa')
    expect(pythonName('import')).toBe('import_')
    await expect(mcpToolsAsPython(client, { prefx: true } as never)).rejects.toThrow(/prefix/)
    await expect(mcpToolsAsPython(client, { timeoutMs: 0 })).rejects.toMatchObject({ argument: 'timeoutMs' })
    await expect(mcpToolsAsPython(client, { filter: 'add' as never })).rejects.toMatchObject({
      argument: 'filter',
    })
    const only = await mcpToolsAsPython(client, { filter: (tool) => tool.name === 'add' })
    expect(Object.keys(only.externalFunctions)).toEqual(['add'])
  })
})
