/**
 * Runs the README's examples as written. The only change: `vercelSandbox()` gets the local API
 * server's credentials and `fetch`, since this machine cannot reach Vercel.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Sandbox } from '@pyflue/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { hostDirSandbox } from '../test/host-dir-sandbox.js'
import { VercelApiServer } from '../test/vercel-api-server.js'
import { createVercelSandbox } from './index.js'

const packageDir = join(import.meta.dirname, '..')
const generatedDir = join(packageDir, 'node_modules', '.cache', 'readme-examples')
let server: VercelApiServer
let readme: string

beforeAll(async () => {
  server = await VercelApiServer.start()
  readme = await readFile(join(packageDir, 'README.md'), 'utf8')
  await mkdir(generatedDir, { recursive: true })
})
afterAll(async () => {
  await server.close()
  await rm(generatedDir, { recursive: true, force: true })
})

/** Turns the README block tagged `name` into a module whose default export runs it with `ctx`. */
async function loadExample(name: string): Promise<(ctx: Record<string, unknown>) => Promise<void>> {
  const match = new RegExp(`<!-- tested: ${name} -->\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme)
  if (!match) throw new Error(`README has no tested example ${name}`)
  const lines = match[1]!.split('\n')
  const imports = lines
    .filter((line) => line.startsWith('import '))
    .map((line) =>
      line.replace("'@pyflue/sandbox-vercel'", JSON.stringify(join(import.meta.dirname, 'index.ts'))),
    )
  const body = lines
    .filter((line) => !line.startsWith('import '))
    .join('\n')
    .replaceAll('vercelSandbox()', 'vercelSandbox(ctx.options)')
  const source = `${imports.join('\n')}\nexport default async function (ctx) {\n const { remote, workspace } = ctx\n${body}\n}\n`
  const file = join(generatedDir, `${name}.ts`)
  await writeFile(file, source)
  return (await import(pathToFileURL(file).href)).default
}

describe('README examples', () => {
  it('quick start: creates a sandbox, writes, runs, reports a non-zero exit, stops the sandbox', async () => {
    const run = await loadExample('quick-start')
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const before = new Set(server.sandboxes.keys())
    try {
      await run({ options: { ...server.credentials, fetch: server.fetch } })
      expect(log.mock.calls).toEqual([[0, '1'], [3]])
    } finally {
      log.mockRestore()
    }
    const created = [...server.sandboxes.keys()].filter((id) => !before.has(id))
    expect(created).toHaveLength(1)
    expect(server.sessionStatus(created[0]!)).toBe('stopped')
    expect(await readFile(join(server.sandboxRoot(created[0]!), 'app/main.py'), 'utf8')).toBe(
      'print("hello from Vercel")\n',
    )
  })

  it('staging: copies remote files to the Python workspace and results back', async () => {
    const run = await loadExample('staging')
    const remote: Sandbox = await createVercelSandbox({ ...server.credentials, fetch: server.fetch })
    const { sandbox: workspace, hostDir } = await hostDirSandbox()
    try {
      await remote.writeFile('data/input.csv', 'x,y\n')
      await remote.writeFile('README.md', '# report')
      // What Python would have written by the time the second copy runs:
      await writeFile(join(hostDir, 'out.json'), '{"ok":true}')
      await run({ remote, workspace })
      expect(await readFile(join(hostDir, 'data/input.csv'), 'utf8')).toBe('x,y\n')
      expect(await readFile(join(hostDir, 'docs/README.md'), 'utf8')).toBe('# report')
      expect(await remote.readFile('out.json')).toBe('{"ok":true}')
    } finally {
      await workspace.close?.()
      await remote.close?.({ kill: true })
    }
  })
})
