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

  it("saveStateAfter: 'run' saves after every run that succeeded, before answering", async () => {
    expect(() => createPyflueMcpServer({ saveStateAfter: 'run' })).toThrow(/needs saveState/)
    expect(() => createPyflueMcpServer({ saveState: () => {}, saveStateAfter: 'always' as never })).toThrow(
      InvalidArgumentError,
    )
    const saves: Uint8Array[] = []
    const server = createPyflueMcpServer({
      saveState: (_id, bytes) => void saves.push(bytes),
      saveStateAfter: 'run',
    })
    const { run } = await open(server, 'eager')
    await run('a = 1')
    expect(saves).toHaveLength(1)
    await run('b = a +')
    expect(saves).toHaveLength(1) // a failed run changed nothing, so nothing is saved
    await run('b = a + 1')
    expect(saves).toHaveLength(2)
    // The last save holds b: a fresh session loads it.
    const reader = createPyflueMcpServer({ loadState: () => saves[1] })
    expect((await (await open(reader)).run('a + b')).structuredContent).toMatchObject({ result: 3 })
    await reader.close()
    await server.close()
    expect(saves).toHaveLength(3) // and once more when the session ends
  })

  it('a failed save after a run keeps the answer and warns without the error text', async () => {
    const server = createPyflueMcpServer({
      saveState: () => {
        throw new Error('EACCES: permission denied, open /home/someone/state.bin')
      },
      saveStateAfter: 'run',
    })
    const { run } = await open(server)
    const answer = await run('40 + 2')
    expect(answer.isError).toBeUndefined()
    expect(answer.structuredContent).toMatchObject({ result: 42 })
    expect(answer.content).toEqual([
      { type: 'text', text: 'result: 42' },
      { type: 'text', text: 'warning: the session state could not be saved after this run.' },
    ])
    await server.close().catch(() => {})
  })

  it('a run that prints nothing reports progress every progressIntervalSecs; cancelling it stops it', async () => {
    expect(() => createPyflueMcpServer({ progressIntervalSecs: 0 })).toThrow(/progressIntervalSecs/)
    const server = createPyflueMcpServer({
      progressIntervalSecs: 0.05,
      resourceLimits: { maxDurationSecs: 300 },
    })
    const { client, run } = await open(server)
    await run('kept = 1')
    const controller = new AbortController()
    const messages: string[] = []
    const call = client.callTool(
      { name: 'run_code', arguments: { code: 'kept = 2\nwhile True:\n    pass' } },
      undefined,
      {
        signal: controller.signal,
        onprogress: (progress) => {
          messages.push(String(progress.message))
          controller.abort()
        },
      },
    )
    await expect(call).rejects.toThrow()
    expect(messages[0]).toMatch(/^running for \d+ s$/)
    // Runs are serial: this answers only because the busy loop (deadline 300 s) was stopped.
    expect((await run('kept')).structuredContent).toMatchObject({ result: 1 })
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
