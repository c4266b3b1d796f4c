import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { useFakeE2B } from '../test/fake-e2b-context.js'
import { FAKE_API_KEY } from '../test/fake-e2b-server.js'
import * as pkg from './index.js'

const fake = useFakeE2B()
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)

afterEach(() => {
  vi.unstubAllEnvs()
})

/**
 * Runs a README block as written, with two substitutions: its `import` line becomes the
 * package's exports, and the factory gets the local server's workdir as `cwd` (the stand-in's
 * sandbox lives in a temp directory, not in /home/user). `console.log` calls are captured.
 */
async function runBlock(code: string): Promise<unknown[][]> {
  const logs: unknown[][] = []
  const body = code
    .replace(/^import .* from '@pyflue\/sandbox-e2b'\n/m, '')
    .replace('e2bSandbox({ ', `e2bSandbox({ cwd: ${JSON.stringify(fake.server().workdir)}, `)
    .replaceAll('console.log(', 'log(')
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor
  await new AsyncFunction('pkg', 'log', `const { e2bSandbox, stageFiles } = pkg\n${body}`)(
    pkg,
    (...args: unknown[]) => logs.push(args),
  )
  return logs
}

describe('README', () => {
  it('the main example runs against E2B (the local stand-in) with credentials from the environment', async () => {
    vi.stubEnv('E2B_API_KEY', FAKE_API_KEY)
    vi.stubEnv('E2B_API_URL', fake.server().url)
    vi.stubEnv('E2B_SANDBOX_URL', fake.server().url)
    const example = blocks.find((block) => block.includes('createSandbox'))!
    const before = new Set(fake.server().sandboxes.keys())
    const logs = await runBlock(example)
    expect(logs).toEqual([[{ stdout: '2\n', stderr: '', exitCode: 0 }], [['input.csv']], [3]])
    const created = [...fake.server().sandboxes.values()].filter((record) => !before.has(record.id))
    expect(created).toHaveLength(1)
    expect(created[0]).toMatchObject({ templateID: 'base', timeout: 600, killed: true })
    expect(created[0]?.metadata).toEqual({ pyflueSessionId: 'session-1' })
  })

  it('the staging example copies files out and results back', async () => {
    const example = blocks.find((block) => block.includes('stageFiles(remote'))!
    const remote = await fake.sandbox()
    await remote.writeFile('data/input.csv', 'a,b\n')
    const workspace = await fake.sandbox({ cwd: `${fake.server().workdir}/local-workspace` })
    await workspace.mkdir(workspace.cwd, { recursive: true })
    await workspace.writeFile('out/result.json', '{"rows":1}')
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor
    const body = example.replace(/^import .*\n/m, '')
    await new AsyncFunction('stageFiles', 'remote', 'workspace', body)(pkg.stageFiles, remote, workspace)
    expect(await workspace.readFile('data/input.csv')).toBe('a,b\n')
    expect(await remote.readFile('results/result.json')).toBe('{"rows":1}')
  })
})
