// createPyflueMcpServer through the SDK's in-memory transport: options refused by name, the
// registry's errors, state saved when a session ends and loaded when one starts, no file tools
// without a sandbox, and the output cap.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { InvalidArgumentError, NotRegisteredError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { createPyflueMcpServer, type PyflueMcpServer } from './server.js'

async function open(server: PyflueMcpServer, sessionId?: string) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  const connection = await server.connect(serverSide, sessionId ? { sessionId } : {})
  const client = new Client({ name: 'test', version: '1' })
  await client.connect(clientSide)
  const run = async (code: string) =>
    (await client.callTool({ name: 'run_code', arguments: { code } })) as CallToolResult
  return { client, connection, run }
}
const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text

describe('createPyflueMcpServer', () => {
  it('refuses unknown options naming the closest key, and bad values', () => {
    expect(() => createPyflueMcpServer({ sandbx: 'virtual' } as never)).toThrow(/sandbox/)
    expect(() => createPyflueMcpServer({ maxOutputChars: 3 })).toThrow(InvalidArgumentError)
    expect(() => createPyflueMcpServer({ resourceLimits: { maxDuration: 1 } as never })).toThrow(
      /maxDurationSecs/,
    )
    expect(() => createPyflueMcpServer({ files: { a: 'b' } })).toThrow(/need a sandbox/)
  })

  it('refuses unknown listen options', async () => {
    await expect(createPyflueMcpServer().listen({ prot: 1 } as never)).rejects.toThrow(/port/)
    await expect(createPyflueMcpServer().listen({ maxSessions: 0 })).rejects.toThrow(InvalidArgumentError)
  })

  it('a name the registry does not know is NotRegisteredError on the first session', async () => {
    const server = createPyflueMcpServer({ sandbox: 'nowhere' })
    const [, serverSide] = InMemoryTransport.createLinkedPair()
    await expect(server.connect(serverSide)).rejects.toBeInstanceOf(NotRegisteredError)
  })

  it('serves only run_code without a sandbox', async () => {
    const server = createPyflueMcpServer()
    const { client } = await open(server)
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['run_code'])
    await expect(client.callTool({ name: 'read_file', arguments: { path: 'x' } })).rejects.toThrow(
      /Unknown tool/,
    )
    await server.close()
  })

  it('saves the state when a session ends and loads it when the next one with that id starts', async () => {
    const saved = new Map<string, Uint8Array>()
    const server = createPyflueMcpServer({
      saveState: (id, bytes) => void saved.set(id, bytes),
      loadState: (id) => saved.get(id),
    })
    const first = await open(server, 'alice')
    await first.run('def greet(name):\n    return "hi " + name\ncount = 3')
    await first.connection.close()
    expect(saved.get('alice')).toBeInstanceOf(Uint8Array)
    expect(server.connections.size).toBe(0)
    const second = await open(server, 'alice')
    expect((await second.run('greet("bob") * count')).structuredContent).toMatchObject({
      result: 'hi bobhi bobhi bob',
    })
    await server.close()
  })

  it('caps the text of a result with a truncation marker', async () => {
    const server = createPyflueMcpServer({ maxOutputChars: 500 })
    const { run } = await open(server)
    const text = textOf(await run('print("x" * 5000)'))
    expect(text.length).toBeLessThan(600)
    expect(text).toMatch(/\[\.\.\. \d+ characters truncated \.\.\.\]/)
    await server.close()
  })

  it('a syntax error answers isError with SyntaxError', async () => {
    const server = createPyflueMcpServer()
    const { run } = await open(server)
    const result = await run('def broken(:')
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/^error:\nSyntaxError/)
    await server.close()
  })
})
