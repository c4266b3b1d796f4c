// The `pyflue-mcp` command (the built bin, as `npx @pyflue/mcp` runs it) spawned by the SDK's
// stdio client: one session for the process, state across calls, a seeded workspace, cancellation;
// and `--http` serving on 127.0.0.1.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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

  it('refuses unknown flags', async () => {
    const child = spawn(process.execPath, [bin, '--sandbx', 'virtual'], { cwd: root })
    let err = ''
    child.stderr.on('data', (chunk) => (err += chunk))
    const code = await new Promise((done) => child.on('exit', done))
    expect(code).toBe(1)
    expect(err).toContain("Unknown option '--sandbx'")
  })
})
