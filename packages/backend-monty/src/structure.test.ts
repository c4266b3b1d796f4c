/**
 * The engine's shape, checked from its source: small files, an import graph without cycles
 * whose only roots are the package entry (`index.ts`) and the pool process's entry
 * (`pool-runner.ts`), one public entry for running (`monty-backend.ts`), and one seam between
 * the run pipeline and what executes programs (`Executor`, `execution.ts`).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const dir = fileURLToPath(new URL('.', import.meta.url))
const modules = readdirSync(dir)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .map((file) => file.slice(0, -3))
const source = (name: string) => readFileSync(`${dir}/${name}.ts`, 'utf8')
/** Each module's imports of other modules of this package (value and type imports alike). */
const imports = new Map(
  modules.map((name) => [
    name,
    new Set([...source(name).matchAll(/from '\.\/([^']+)\.js'/g)].map((m) => m[1]!)),
  ]),
)
const importersOf = (target: string) => modules.filter((name) => imports.get(name)!.has(target))

describe('backend-monty structure', () => {
  it('keeps every source file at or under 400 lines', () => {
    const long = modules
      .map((name) => [name, source(name).split('\n').length] as const)
      .filter(([, lines]) => lines > 400)
    expect(long).toEqual([])
  })

  it('imports only modules that exist, and no module imports itself through others', () => {
    for (const [name, deps] of imports) {
      for (const dep of deps) expect(modules, `${name} imports ${dep}`).toContain(dep)
    }
    const cycles: string[][] = []
    const state = new Map<string, 'open' | 'done'>()
    const visit = (name: string, path: string[]) => {
      state.set(name, 'open')
      for (const dep of imports.get(name)!) {
        if (state.get(dep) === 'open') cycles.push([...path.slice(path.indexOf(dep)), dep])
        else if (!state.has(dep)) visit(dep, [...path, dep])
      }
      state.set(name, 'done')
    }
    for (const name of modules) if (!state.has(name)) visit(name, [name])
    expect(cycles).toEqual([])
  })

  it('has two roots: the package entry and the pool process entry; every module is reached', () => {
    expect(modules.filter((name) => importersOf(name).length === 0).sort()).toEqual(['index', 'pool-runner'])
  })

  it('runs snippets through one entry, and executes programs through the Executor seam only', () => {
    // Only the backend starts runs and resumes pauses.
    expect(importersOf('run-start')).toEqual(['monty-backend'])
    // The pipeline asks `Engine.executor`; it knows neither road.
    for (const pipeline of ['run-pipeline', 'run-drive', 'run-start']) {
      expect(imports.get(pipeline)!.has('in-thread-execution'), pipeline).toBe(false)
      expect(imports.get(pipeline)!.has('pool-execution'), pipeline).toBe(false)
    }
    // Both roads implement `Executor`; the backend picks one.
    expect(importersOf('in-thread-execution')).toEqual(['monty-backend'])
    expect(importersOf('pool-execution')).toEqual(['monty-pool'])
    expect(source('in-thread-execution')).toMatch(/IN_THREAD_EXECUTOR: Executor/)
    expect(source('monty-pool')).toMatch(/class MontyPool implements Executor/)
  })

  it('exports by name from its entry (no export *)', () => {
    expect(source('index')).not.toMatch(/export \*/)
  })
})
