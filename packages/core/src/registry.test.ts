import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { NotRegisteredError } from './errors/configuration-errors.js'
import { HARNESS_CONTRACT_VERSION, type Harness } from './harness.js'
import type { PythonBackendFactory } from './python-backend.js'
import { BUILTIN_HARNESSES, BUILTIN_PYTHON_BACKENDS, BUILTIN_SANDBOXES, PyFlueRegistry } from './registry.js'
import type { SandboxFactory } from './sandbox.js'

const backendFactory: PythonBackendFactory = {
  name: 'third-party-python',
  createBackend: async () => {
    throw new Error('not used in these tests')
  },
}
const sandboxFactory: SandboxFactory = {
  name: 'third-party-sandbox',
  createSandbox: async () => {
    throw new Error('not used in these tests')
  },
}

const harness: Harness = {
  name: 'third-party-harness',
  contractVersion: HARNESS_CONTRACT_VERSION,
  checkModel: () => {},
  prompt: async () => {
    throw new Error('not used in these tests')
  },
}

describe('PyFlueRegistry', () => {
  it('resolves harnesses: a built-in name, registered ones (loaded once), objects passed through', async () => {
    const registry = new PyFlueRegistry()
    expect(registry.harnessNames()).toEqual(['deepagents'])
    expect(BUILTIN_HARNESSES.deepagents).toEqual({
      packageName: '@pyflue/deepagents',
      exportName: 'deepagentsHarness',
    })
    let loads = 0
    registry.registerHarness('mine', () => {
      loads++
      return harness
    })
    expect(await registry.resolveHarness('mine')).toBe(harness)
    expect(await registry.resolveHarness('mine')).toBe(harness)
    expect(loads).toBe(1)
    expect(await registry.resolveHarness(harness)).toBe(harness)
    expect(registry.harnessNames()).toEqual(['deepagents', 'mine'])
    await expect(registry.resolveHarness({ name: 'x' } as never)).rejects.toThrow(
      'A harness must be an object with a prompt() method',
    )
    const unknown = await registry.resolveHarness('langgraph').catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(NotRegisteredError)
    expect(unknown).toMatchObject({
      kind: 'harness',
      registeredName: 'langgraph',
      known: ['deepagents', 'mine'],
    })
    expect((unknown as Error).message).toBe(
      "No harness is registered as 'langgraph'. Known names: deepagents, mine.",
    )
  })

  it('knows the built-in names without importing anything', () => {
    const registry = new PyFlueRegistry()
    expect(registry.pythonBackendNames()).toEqual(['monty'])
    expect(registry.sandboxNames()).toEqual(['e2b', 'vercel', 'virtual'])
    expect(BUILTIN_PYTHON_BACKENDS.monty).toEqual({
      packageName: '@pyflue/backend-monty',
      exportName: 'montyBackend',
    })
    expect(BUILTIN_SANDBOXES.virtual!.packageName).toBe('@pyflue/sandbox-virtual')
  })

  it('resolves third-party names registered as factories or loaders; a loader runs once', async () => {
    const registry = new PyFlueRegistry()
    let loads = 0
    registry.registerPythonBackend('mine', backendFactory)
    registry.registerSandbox('box', async () => {
      loads++
      return sandboxFactory
    })
    expect(await registry.resolvePythonBackend('mine')).toBe(backendFactory)
    expect(await registry.resolveSandbox('box')).toBe(sandboxFactory)
    expect(await registry.resolveSandbox('box')).toBe(sandboxFactory)
    expect(loads).toBe(1)
    expect(registry.sandboxNames()).toContain('box')
  })

  it('a registered name replaces a built-in', async () => {
    const registry = new PyFlueRegistry()
    registry.registerPythonBackend('monty', () => backendFactory)
    expect(await registry.resolvePythonBackend('monty')).toBe(backendFactory)
  })

  it('passes factory objects through and refuses objects that are not factories', async () => {
    const registry = new PyFlueRegistry()
    expect(await registry.resolveSandbox(sandboxFactory)).toBe(sandboxFactory)
    await expect(registry.resolveSandbox({ name: 'x' } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    registry.registerPythonBackend('broken', () => ({ name: 'broken' }) as never)
    await expect(registry.resolvePythonBackend('broken')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('an unknown name is NotRegisteredError listing the known names', async () => {
    const registry = new PyFlueRegistry()
    const error = await registry.resolveSandbox('nope').catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'NOT_REGISTERED',
      registeredName: 'nope',
      known: ['e2b', 'vercel', 'virtual'],
    })
  })

  it('refuses names that are not plain identifiers', () => {
    const registry = new PyFlueRegistry()
    expect(() => registry.registerSandbox('', sandboxFactory)).toThrow(/registry name/)
    expect(() => registry.registerSandbox('a b', sandboxFactory)).toThrow(/registry name/)
  })
})

describe('built-in names in real installations (a child Node process, real module resolution)', () => {
  const root = mkdtempSync(join(tmpdir(), 'pyflue-registry-'))
  const coreDir = new URL('../', import.meta.url).pathname
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  /** Installs the built core into `dir/node_modules/@pyflue/core` as a package manager would. */
  const installCore = (dir: string) => {
    const target = join(dir, 'node_modules/@pyflue/core')
    mkdirSync(target, { recursive: true })
    cpSync(join(coreDir, 'dist'), join(target, 'dist'), { recursive: true })
    cpSync(join(coreDir, 'package.json'), join(target, 'package.json'))
    return target
  }
  const fakePackage = (dir: string, name: string, source: string) => {
    const target = join(dir, 'node_modules', name)
    mkdirSync(target, { recursive: true })
    writeFileSync(
      join(target, 'package.json'),
      JSON.stringify({ name, type: 'module', exports: './index.js' }),
    )
    writeFileSync(join(target, 'index.js'), source)
  }
  // pnpm's bin shims (vitest's included) set NODE_PATH to the workspace's hoisted
  // node_modules/.pnpm/node_modules, where every workspace package is linked; a child that
  // inherited it would find built-in packages no real installation has.
  const childEnv = { ...process.env }
  delete childEnv.NODE_PATH
  const run = (cwd: string, script: string) =>
    JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd,
        encoding: 'utf8',
        env: childEnv,
      }),
    )

  it('a missing built-in package is PackageNotInstalledError naming the install command', () => {
    const app = join(root, 'empty-app')
    mkdirSync(app, { recursive: true })
    writeFileSync(join(app, 'package.json'), '{"name":"app","type":"module"}')
    installCore(app)
    const outcome = run(
      app,
      `import { resolveSandbox, resolvePythonBackend, resolveHarness } from '@pyflue/core'
       const out = []
       for (const attempt of [() => resolveSandbox('e2b'), () => resolvePythonBackend('monty'), () => resolveHarness('deepagents')]) {
         try { await attempt(); out.push('resolved') } catch (e) { out.push({ name: e.name, code: e.code, packageName: e.packageName, installCommand: e.installCommand, message: e.message }) }
       }
       console.log(JSON.stringify(out))`,
    )
    expect(outcome[0]).toMatchObject({
      name: 'PackageNotInstalledError',
      code: 'PACKAGE_NOT_INSTALLED',
      packageName: '@pyflue/sandbox-e2b',
      installCommand: 'pnpm add @pyflue/sandbox-e2b',
    })
    expect(outcome[0].message).toContain("The sandbox 'e2b' needs the package @pyflue/sandbox-e2b")
    expect(outcome[1]).toMatchObject({
      packageName: '@pyflue/backend-monty',
      installCommand: 'pnpm add @pyflue/backend-monty',
    })
    expect(outcome[2]).toMatchObject({
      name: 'PackageNotInstalledError',
      packageName: '@pyflue/deepagents',
      installCommand: 'pnpm add @pyflue/deepagents',
    })
    expect(outcome[2].message).toContain("The harness 'deepagents' needs the package @pyflue/deepagents")
  })

  it('finds a built-in package installed beside core (npm layout) and calls its factory export', () => {
    const app = join(root, 'npm-app')
    mkdirSync(app, { recursive: true })
    installCore(app)
    fakePackage(
      app,
      '@pyflue/sandbox-virtual',
      `export function virtualSandbox() { return { name: 'virtual', createSandbox: async () => ({}) } }`,
    )
    const outcome = run(
      app,
      `import { resolveSandbox } from '@pyflue/core'; const f = await resolveSandbox('virtual'); console.log(JSON.stringify(f.name))`,
    )
    expect(outcome).toBe('virtual')
  })

  it("finds a package only the application can see (pnpm's strict layout) from the working directory", () => {
    const store = join(root, 'store/.pnpm/core')
    const app = join(root, 'pnpm-app')
    mkdirSync(app, { recursive: true })
    const core = installCore(store)
    fakePackage(
      app,
      '@pyflue/backend-monty',
      `export function montyBackend() { return { name: 'monty', createBackend: async () => ({}) } }`,
    )
    const outcome = run(
      app,
      `const { resolvePythonBackend } = await import(${JSON.stringify(join(core, 'dist/index.js'))}); const f = await resolvePythonBackend('monty'); console.log(JSON.stringify(f.name))`,
    )
    expect(outcome).toBe('monty')
  })

  it('an error thrown while an installed package loads is passed through, not reported as missing', () => {
    const app = join(root, 'broken-app')
    mkdirSync(app, { recursive: true })
    installCore(app)
    fakePackage(
      app,
      '@pyflue/sandbox-vercel',
      `import 'a-dependency-that-is-missing'\nexport function vercelSandbox() {}`,
    )
    const outcome = run(
      app,
      `import { resolveSandbox } from '@pyflue/core'; try { await resolveSandbox('vercel') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`,
    )
    expect(outcome.code).toBe('ERR_MODULE_NOT_FOUND')
    expect(outcome.message).toContain('a-dependency-that-is-missing')
  })
})
