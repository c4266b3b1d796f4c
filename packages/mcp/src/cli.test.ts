// The `pyflue-mcp` command (the built bin, as `npx @pyflue/mcp` runs it) spawned by the SDK's
// stdio client: one session for the process, state across calls, a seeded workspace, cancellation,
// state kept in a file across processes; raw lines that are not JSON-RPC; and `--http` serving on
// 127.0.0.1.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  bin: Record<string, string>
}
const bin = join(root, manifest.bin['pyflue-mcp']!) // built by `pnpm build` (turbo runs it before test)

const run = async (client: Client, code: string, options = {}) =>
  (await client.callTool({ name: 'run_code', arguments: { code } }, undefined, options)) as CallToolResult

describe('pyflue-mcp over stdio', () => {
  let dir: string
  let client: Client
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pyflue-mcp-cli-'))
    mkdirSync(join(dir, 'sub'))
    writeFileSync(join(dir, 'sub', 'numbers.txt'), '1\n2\n3\n')
    client = new Client({ name: 'test', version: '1' })
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [bin, '--sandbox', 'virtual', '--dir', dir, '--timeout', '300'],
        cwd: root,
        stderr: 'pipe',
      }),
    )
  })
  afterAll(async () => {
    await client?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('lists run_code and the file tools', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(['run_code', 'read_file', 'write_file', 'list_files'])
  })

  it('keeps state across calls and sees the copied directory', async () => {
    await run(
      client,
      "from pathlib import Path\nnums = [int(l) for l in Path('/sub/numbers.txt').read_text().split()]",
    )
    expect((await run(client, 'sum(nums)')).structuredContent).toMatchObject({ result: 6 })
    const listed = await client.callTool({ name: 'list_files', arguments: { path: 'sub' } })
    expect((listed as CallToolResult).content).toEqual([{ type: 'text', text: 'numbers.txt' }])
  })

  it('cancellation aborts a busy loop and the process keeps serving', async () => {
    const controller = new AbortController()
    const call = run(client, 'print("go")\nwhile True:\n    pass', {
      signal: controller.signal,
      onprogress: () => controller.abort(),
    })
    await expect(call).rejects.toThrow()
    expect((await run(client, 'sum(nums) * 2')).structuredContent).toMatchObject({ result: 12 })
  })
})

describe('pyflue-mcp --state-file', () => {
  it('a new process over the same file starts with the Python state of the last one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pyflue-mcp-state-'))
    const stateFile = join(dir, 'state.bin')
    const connect = async () => {
      const client = new Client({ name: 'test', version: '1' })
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [bin, '--state-file', stateFile],
          cwd: root,
        }),
      )
      return client
    }
    try {
      const first = await connect()
      await run(first, 'def area(r):\n    return 3 * r * r\nradius = 2')
      // Saved once the run is answered, so ending the process in any way keeps it.
      expect(existsSync(stateFile)).toBe(true)
      await first.close()
      const second = await connect()
      expect((await run(second, 'area(radius)')).structuredContent).toMatchObject({ result: 12 })
      await second.close()
      expect(readdirSync(dir)).toEqual(['state.bin']) // no temporary file left
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses --state-file with --http', async () => {
    const child = spawn(process.execPath, [bin, '--http', '--state-file', 'x.bin'], { cwd: root })
    let err = ''
    child.stderr.on('data', (chunk) => (err += chunk))
    const code = await new Promise((done) => child.on('exit', done))
    expect(code).toBe(1)
    expect(err).toContain('--state-file')
  })
})

describe('pyflue-mcp over stdio, raw lines', () => {
  it('answers a line that is not JSON (-32700), not JSON-RPC (-32600), an unknown method (-32601), and keeps serving', async () => {
    const child = spawn(process.execPath, [bin], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
    const answers: Array<{ id?: number | null; result?: unknown; error?: { code: number } }> = []
    let pending = ''
    let wake: () => void = () => {}
    child.stdout.on('data', (chunk) => {
      pending += chunk
      let newline = pending.indexOf('\n')
      while (newline >= 0) {
        answers.push(JSON.parse(pending.slice(0, newline)))
        pending = pending.slice(newline + 1)
        newline = pending.indexOf('\n')
      }
      wake()
    })
    const answerTo = async (id: number) => {
      for (;;) {
        const found = answers.find((a) => a.id === id)
        if (found) return found
        await new Promise<void>((done) => (wake = done))
      }
    }
    try {
      child.stdin.write('this is not json\n{"jsonrpc": "2.0", "oops": true}\n')
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'no/such/method' })}\n`)
      expect((await answerTo(1)).error?.code).toBe(-32601)
      // The two unreadable lines came first, answered with id null.
      expect(answers.slice(0, 2)).toEqual([
        { jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.any(String) } },
        { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.any(String) } },
      ])
      const initialize = {
        jsonrpc: '2.0',
        id: 2,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }
      child.stdin.write(`${JSON.stringify(initialize)}\n`)
      expect((await answerTo(2)).result).toMatchObject({ serverInfo: { name: 'pyflue' } })
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`)
      const call = {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'run_code', arguments: { code: '6 * 7' } },
      }
      child.stdin.write(`${JSON.stringify(call)}\n`)
      expect((await answerTo(3)).result).toMatchObject({ structuredContent: { result: 42 } })
      expect(answers.map((a) => a.id)).toEqual([null, null, 1, 2, 3])
    } finally {
      child.kill()
    }
  })
})

describe('pyflue-mcp --http', () => {
  it('serves on 127.0.0.1 and prints the URL on stderr', async () => {
    const child = spawn(process.execPath, [bin, '--http', '--port', '0'], { cwd: root })
    try {
      const url = await new Promise<string>((done, fail) => {
        let err = ''
        child.stderr.on('data', (chunk) => {
          err += chunk
          const found = /serving MCP over HTTP at (\S+)/.exec(err)
          if (found) done(found[1]!)
        })
        child.on('exit', (code) => fail(new Error(`exited ${code}: ${err}`)))
      })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
      const client = new Client({ name: 'test', version: '1' })
      await client.connect(new StreamableHTTPClientTransport(new URL(url)))
      expect((await run(client, '2 ** 10')).structuredContent).toMatchObject({ result: 1024 })
      await client.close()
    } finally {
      child.kill()
    }
  })

  it('refuses a non-loopback --host without --token-env', async () => {
    const child = spawn(process.execPath, [bin, '--http', '--host', '0.0.0.0'], { cwd: root })
    let err = ''
    child.stderr.on('data', (chunk) => (err += chunk))
    const code = await new Promise((done) => child.on('exit', done))
    expect(code).toBe(1)
    expect(err).toContain('--host 0.0.0.0 needs --token-env')
  })

  it('refuses unknown flags', async () => {
    const child = spawn(process.execPath, [bin, '--sandbx', 'virtual'], { cwd: root })
    let err = ''
    child.stderr.on('data', (chunk) => (err += chunk))
    const code = await new Promise((done) => child.on('exit', done))
    expect(code).toBe(1)
    expect(err).toContain("Unknown option '--sandbx'")
  })
})
