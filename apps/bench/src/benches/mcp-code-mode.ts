// Code mode (@pyflue/mcp `mcpToolsAsPython`) against giving a model an MCP server's tools
// directly, for an SDK server with 100 tools in this process (in-memory transport):
// - tokens (o200k_base) of what the model receives: `run_code` with the tools' Python signatures,
//   against the 100 tools with their own JSON Schemas;
// - wall time of 100 tool calls made by one Python loop in one `run_code` run, against 100
//   model-driven calls (one per step) replayed by a scripted model through the AI SDK, with all
//   100 tools offered. The scripted model answers at once, so the baseline holds no model latency:
//   a real model adds a round trip per step there (100) and one in code mode.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { createMontyBackend } from '@pyflue/backend-monty'
import { runCodeTool } from '@pyflue/harness'
import { scriptedModel } from '@pyflue/harness/testing'
import { mcpToolsAsPython } from '@pyflue/mcp'
import { asSchema, dynamicTool, generateText, jsonSchema, stepCountIs, type ToolSet } from 'ai'
import { getEncoding } from 'js-tiktoken'
import { z } from 'zod'
import type { Bench, BenchRow } from '../bench-types.js'
import { formatMs, median, sample } from '../stats.js'

const DOMAINS = [
  'crm',
  'billing',
  'calendar',
  'tickets',
  'inventory',
  'shipping',
  'hr',
  'analytics',
  'docs',
  'chat',
]
const ACTIONS = [
  'get',
  'list',
  'create',
  'update',
  'delete',
  'search',
  'archive',
  'restore',
  'export',
  'count',
]
const CALLS = 100

/** The parameters of one action, as a typical business API's MCP server describes them. */
function parameters(action: string, domain: string): z.ZodRawShape {
  const id = z
    .string()
    .describe(`The id of the ${domain} record, as returned by ${domain}_list or ${domain}_search.`)
  const fields = z
    .array(z.string())
    .optional()
    .describe('Fields to include in the answer; every field when omitted.')
  const filters = z
    .object({
      status: z.enum(['open', 'pending', 'closed']).optional().describe('Only records with this status.'),
      createdAfter: z.string().optional().describe('Only records created after this ISO 8601 date.'),
      owner: z.string().optional().describe('Only records owned by this user id.'),
    })
    .optional()
    .describe('Filters applied before paging.')
  const paging = {
    limit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe('The most records to return (1-100, default 20).'),
    cursor: z.string().optional().describe('The cursor of the next page, from a previous answer.'),
  }
  const data = z
    .record(z.string(), z.unknown())
    .describe(`The ${domain} record's fields and their new values.`)
  switch (action) {
    case 'get':
      return { id, fields }
    case 'list':
      return { filters, ...paging, fields }
    case 'create':
      return { data, dryRun: z.boolean().optional().describe('Validate without creating.') }
    case 'update':
      return {
        id,
        data,
        ifVersion: z.number().int().optional().describe('Fail unless this is the current version.'),
      }
    case 'search':
      return {
        query: z.string().describe('Full-text query; supports quotes and -exclusions.'),
        filters,
        ...paging,
      }
    case 'export':
      return { filters, format: z.enum(['csv', 'json', 'xlsx']).describe('The file format of the export.') }
    case 'count':
      return { filters }
    default:
      return { id, reason: z.string().optional().describe('Why, recorded in the audit log.') }
  }
}

function hundredToolServer(): McpServer {
  const server = new McpServer({ name: 'business', version: '1.0.0' })
  for (const domain of DOMAINS) {
    for (const action of ACTIONS) {
      server.registerTool(
        `${domain}_${action}`,
        {
          description: `${action[0]!.toUpperCase()}${action.slice(1)} ${domain} records. Requires the ${domain}:${action === 'get' || action === 'list' || action === 'search' || action === 'count' ? 'read' : 'write'} scope.`,
          inputSchema: parameters(action, domain),
        },
        async (args) => ({
          content: [
            { type: 'text', text: JSON.stringify({ ok: true, id: (args as { id?: string }).id ?? null }) },
          ],
          structuredContent: { ok: true, id: (args as { id?: string }).id ?? null },
        }),
      )
    }
  }
  return server
}

const bench: Bench = {
  name: 'mcp code mode',
  async run(): Promise<BenchRow[]> {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await hundredToolServer().connect(serverSide)
    const client = new Client({ name: 'bench', version: '1.0.0' })
    await client.connect(clientSide)
    const { tools } = await client.listTools()
    const encoding = getEncoding('o200k_base')
    const tokens = (text: string) => encoding.encode(text).length

    // What a model receives: each tool's name, description and JSON Schema, against run_code.
    const direct = tools.reduce(
      (sum, t) =>
        sum +
        tokens(JSON.stringify({ name: t.name, description: t.description, input_schema: t.inputSchema })),
      0,
    )
    const python = await mcpToolsAsPython(client)
    const backend = createMontyBackend()
    const runCode = runCodeTool(backend, { externalFunctions: python.externalFunctions })
    const runCodeSchema = await asSchema(runCode.inputSchema).jsonSchema
    const codeMode = tokens(
      JSON.stringify({ name: 'run_code', description: runCode.description, input_schema: runCodeSchema }),
    )
    const bareBackend = createMontyBackend()
    const bare = runCodeTool(bareBackend)
    const bareTokens = tokens(
      JSON.stringify({ name: 'run_code', description: bare.description, input_schema: runCodeSchema }),
    )
    const rows: BenchRow[] = [
      {
        name: `tokens of the tool descriptions, ${tools.length} tools: run_code with Python signatures`,
        value: `${codeMode} tokens`,
        baseline: `the tools' own JSON Schemas: ${direct} tokens`,
        ratio: codeMode / direct,
        note: `o200k_base; run_code alone is ${bareTokens}; signatures drop the parameters' descriptions`,
      },
    ]

    // Every model request carries the tool descriptions again: 100 calls driven by the model are
    // 101 requests (one per call and the answer), code mode is 2 (run_code and the answer).
    rows.push({
      name: `tokens of tool descriptions over ${CALLS} calls (per-request figure × requests)`,
      value: `2 × ${codeMode} = ${2 * codeMode} tokens`,
      baseline: `${CALLS + 1} × ${direct} = ${(CALLS + 1) * direct} tokens`,
      ratio: (2 * codeMode) / ((CALLS + 1) * direct),
      note: 'counted, not measured on a provider; prompt caching lowers the price, not the count',
    })

    // 100 calls of one tool from one Python loop, in one run.
    const loop = `ids = []\nfor i in range(${CALLS}):\n    ids.append(crm_get(id=f"c{i}")["id"])\nlen(ids)`
    const codeRun = median(
      await sample(
        async () => {
          const run = await backend.run(loop, { externalFunctions: python.externalFunctions })
          if (run.result !== CALLS) throw new Error(`the loop returned ${String(run.result)}`)
        },
        20,
        3,
      ),
    )

    // 100 model-driven calls: a scripted model calls crm_get once a step, all 100 tools offered.
    const toolSet: ToolSet = Object.fromEntries(
      tools.map((t) => [
        t.name,
        dynamicTool({
          description: t.description ?? '',
          inputSchema: jsonSchema(t.inputSchema as Parameters<typeof jsonSchema>[0]),
          execute: async (input) =>
            (await client.callTool({ name: t.name, arguments: input as Record<string, unknown> }))
              .structuredContent,
        }),
      ]),
    )
    const modelDriven = median(
      await sample(
        async () => {
          const model = scriptedModel(({ call }) =>
            call < CALLS
              ? { toolCalls: [{ toolName: 'crm_get', input: { id: `c${call}` } }] }
              : { text: 'done' },
          )
          const result = await generateText({
            model,
            prompt: 'fetch them',
            tools: toolSet,
            stopWhen: stepCountIs(CALLS + 1),
          })
          const calls = result.steps.reduce((n, step) => n + step.toolCalls.length, 0)
          if (calls !== CALLS) throw new Error(`the model made ${calls} calls`)
        },
        10,
        2,
      ),
    )
    rows.push({
      name: `${CALLS} tool calls: one Python loop in one run`,
      value: formatMs(codeRun),
      baseline: `${CALLS} model-driven calls, scripted model: ${formatMs(modelDriven)}`,
      ratio: codeRun / modelDriven,
      note: 'the scripted model answers at once; a real model adds a round trip per call to the baseline',
    })

    await python.close()
    await backend.close()
    await bareBackend.close()
    await client.close()
    return rows
  },
}

export default bench
