import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const packageDir = join(import.meta.dirname, '..')
let workDir: string
let packed: Record<string, any>
let files: string[]

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'pyflue-vercel-pack-'))
  // Build first: the tarball ships dist/, which this test must see as a user would get it.
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageDir })
  execFileSync('npx', ['-y', 'pnpm@10.34.8', 'pack', '--pack-destination', workDir], {
    cwd: packageDir,
    stdio: 'pipe',
  })
  const tarball = execFileSync('ls', [workDir], { encoding: 'utf8' }).trim()
  files = execFileSync('tar', ['-tzf', join(workDir, tarball)], { encoding: 'utf8' })
    .trim()
    .split('\n')
  execFileSync('tar', ['-xzf', join(workDir, tarball), '-C', workDir])
  packed = JSON.parse(await readFile(join(workDir, 'package', 'package.json'), 'utf8'))
}, 120_000)
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true })
})

describe('the packed package', () => {
  it('depends on @vercel/sandbox and @pyflue/core only', async () => {
    const core = JSON.parse(await readFile(join(packageDir, '..', 'core', 'package.json'), 'utf8'))
    expect(packed.name).toBe('@pyflue/sandbox-vercel')
    expect(packed.dependencies).toEqual({ '@pyflue/core': `^${core.version}`, '@vercel/sandbox': '3.5.0' })
    expect(packed.peerDependencies).toBeUndefined()
    expect(packed.optionalDependencies).toBeUndefined()
    expect(packed.engines).toEqual({ node: '>=20.18' })
  })

  it('ships the built entry point, its types and the README, and no tests', () => {
    expect(files).toContain('package/dist/index.js')
    expect(files).toContain('package/dist/index.d.ts')
    expect(files).toContain('package/README.md')
    expect(files.filter((f) => f.includes('.test.') || f.startsWith('package/test/'))).toEqual([])
  })
})

describe('resolution by name', () => {
  it("core's registry imports this package for 'vercel' and calls vercelSandbox() with no arguments", () => {
    // A fresh Node process, so that resolution is the real one (dist/, package exports).
    const script = `
      import { resolveSandbox } from '@pyflue/core'
      const factory = await resolveSandbox('vercel')
      console.log(JSON.stringify({ name: factory.name, createSandbox: typeof factory.createSandbox }))
    `
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDir,
      encoding: 'utf8',
    })
    expect(JSON.parse(out)).toEqual({ name: 'vercel', createSandbox: 'function' })
  })
})
