/**
 * Packs the package as it would be published and installs it, with a packed `@pyflue/core`,
 * into an empty project with npm: the install must bring the `e2b` SDK and core only (no AI SDK,
 * Vercel, Monty or just-bash), and core's registry must find the package by the name `'e2b'`.
 * The install reads e2b's own dependencies from the npm registry (or npm's cache).
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const coreDir = path.resolve(packageDir, '../core')
const PNPM = ['-y', 'pnpm@10.34.8']
let work: string
let manifest: Record<string, any>
let packedFiles: string[]
let project: string

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

async function pack(dir: string): Promise<string> {
  const before = new Set(await fs.readdir(work))
  run('npx', [...PNPM, 'pack', '--pack-destination', work], dir)
  const tarball = (await fs.readdir(work)).find((name) => name.endsWith('.tgz') && !before.has(name))
  if (!tarball) throw new Error(`pnpm pack produced no tarball in ${dir}`)
  return path.join(work, tarball)
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(tmpdir(), 'pyflue-e2b-pack-'))
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  for (const dir of [coreDir, packageDir]) run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], dir)
  const coreTarball = await pack(coreDir)
  const tarball = await pack(packageDir)
  const unpacked = path.join(work, 'unpacked')
  await fs.mkdir(unpacked)
  run('tar', ['-xzf', tarball, '-C', unpacked], work)
  manifest = JSON.parse(await fs.readFile(path.join(unpacked, 'package/package.json'), 'utf8'))
  packedFiles = run('tar', ['-tzf', tarball], work).trim().split('\n')

  project = path.join(work, 'project')
  await fs.mkdir(project)
  await fs.writeFile(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'empty', private: true, type: 'module' }),
  )
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', coreTarball, tarball],
    project,
  )
}, 300_000)

afterAll(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true })
})

describe('the published package', () => {
  it('declares exactly e2b and @pyflue/core as dependencies, with no peers', () => {
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(['@pyflue/core', 'e2b'])
    expect(manifest.dependencies['@pyflue/core']).not.toContain('workspace:')
    expect(manifest.peerDependencies ?? {}).toEqual({})
    expect(manifest.optionalDependencies ?? {}).toEqual({})
    expect(manifest.engines.node).toBe('>=20.18')
  })

  it('ships the built code and README, and no tests or test server', () => {
    expect(packedFiles).toContain('package/dist/index.js')
    expect(packedFiles).toContain('package/dist/index.d.ts')
    expect(packedFiles).toContain('package/README.md')
    expect(packedFiles.filter((file) => file.includes('.test.') || file.includes('/test/'))).toEqual([])
  })

  it('installs into an empty project without AI SDK, Vercel, Monty or just-bash', async () => {
    const tree = JSON.parse(run('npm', ['ls', '--all', '--json'], project))
    const names = new Set<string>()
    const walk = (node: { dependencies?: Record<string, unknown> }) => {
      for (const [name, child] of Object.entries(node.dependencies ?? {})) {
        names.add(name)
        walk(child as { dependencies?: Record<string, unknown> })
      }
    }
    walk(tree)
    expect(names.has('e2b')).toBe(true)
    expect(names.has('@pyflue/core')).toBe(true)
    const forbidden = [...names].filter(
      (name) =>
        name === 'ai' ||
        name.startsWith('@ai-sdk/') ||
        name.startsWith('@vercel/') ||
        name.startsWith('@pydantic/') ||
        name === 'just-bash' ||
        (name.startsWith('@pyflue/') && name !== '@pyflue/core' && name !== '@pyflue/sandbox-e2b'),
    )
    expect(forbidden).toEqual([])
  })

  it("is found by core's registry under the name 'e2b' in that project", () => {
    const script = `
      import { resolveSandbox } from '@pyflue/core'
      const factory = await resolveSandbox('e2b')
      console.log(JSON.stringify({ name: factory.name, create: typeof factory.createSandbox }))
    `
    const output = run(process.execPath, ['--input-type=module', '-e', script], project)
    expect(JSON.parse(output)).toEqual({ name: 'e2b', create: 'function' })
  })
})
