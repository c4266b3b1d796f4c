import { spawn, spawnSync } from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createVirtualSandbox, sweepAbandonedWorkspaces, WORKSPACE_PREFIX } from './index.js'

const parents: string[] = []
function freshParent(): string {
  const parent = mkdtempSync(join(tmpdir(), 'pyflue-sweep-test-'))
  parents.push(parent)
  return parent
}
afterEach(() => {
  for (const parent of parents.splice(0)) rmSync(parent, { recursive: true, force: true })
})

const indexSource = fileURLToPath(new URL('./index.ts', import.meta.url))

/** A child Node process that creates a sandbox in `parent`, prints its host dir, then `then`. */
function childScript(parent: string, then: string): string {
  return [
    `import { createVirtualSandbox } from ${JSON.stringify(indexSource)}`,
    `const sandbox = await createVirtualSandbox({ tmpDir: ${JSON.stringify(parent)}, files: { 'a.txt': 'x' } })`,
    'console.log(sandbox.hostMounts()[0].hostDir)',
    then,
  ].join('\n')
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

describe('the workspace directory', () => {
  it('is private: mode 0700, owned by this user, holding only the workspace and the owner marker', async () => {
    const parent = freshParent()
    const sandbox = await createVirtualSandbox({ tmpDir: parent })
    const { hostDir } = sandbox.hostMounts!()[0]!
    const container = join(hostDir, '..')
    expect(statSync(container).mode & 0o777).toBe(0o700)
    expect(statSync(hostDir).mode & 0o777).toBe(0o700)
    expect(readdirSync(container).sort()).toEqual(['owner.json', 'workspace'])
    expect(readdirSync(parent)[0]!.startsWith(WORKSPACE_PREFIX)).toBe(true)
    // The marker is outside the workspace: neither the shell nor Python can see or change it.
    expect((await sandbox.exec('ls -a /; cat ../owner.json')).stdout).not.toContain('owner')
    await sandbox.close!()
    expect(readdirSync(parent)).toEqual([])
  })

  it('two sandboxes never share files', async () => {
    const parent = freshParent()
    const one = await createVirtualSandbox({ tmpDir: parent })
    const two = await createVirtualSandbox({ tmpDir: parent })
    await one.writeFile('only-one.txt', '1')
    expect(await two.exists('only-one.txt')).toBe(false)
    expect(one.hostMounts!()[0]!.hostDir).not.toBe(two.hostMounts!()[0]!.hostDir)
    await one.close!()
    expect(await two.readdir('/')).toEqual([])
    await two.close!()
  })

  it('is removed when the process exits without closing the sandbox', () => {
    const parent = freshParent()
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', childScript(parent, '')],
      {
        encoding: 'utf8',
      },
    )
    expect(child.status).toBe(0)
    const hostDir = child.stdout.trim()
    expect(hostDir.startsWith(parent)).toBe(true)
    expect(existsSync(hostDir)).toBe(false)
    expect(readdirSync(parent)).toEqual([])
  })

  it('left by a killed process is swept at the next creation', async () => {
    const parent = freshParent()
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', childScript(parent, 'setInterval(() => {}, 1000)')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const hostDir = await new Promise<string>((resolve) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()))
    })
    expect(existsSync(hostDir)).toBe(true)
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGKILL')
    })
    expect(existsSync(hostDir)).toBe(true)
    const next = await createVirtualSandbox({ tmpDir: parent })
    expect(existsSync(hostDir)).toBe(false)
    expect(readdirSync(parent)).toHaveLength(1)
    await next.close!()
  })

  it('the sweep keeps live owners, other users’ files and young unmarked containers', () => {
    const parent = freshParent()
    const make = (name: string, owner?: object, ageMs = 0) => {
      const container = join(parent, `${WORKSPACE_PREFIX}${name}`)
      mkdirSync(join(container, 'workspace'), { recursive: true })
      if (owner) writeFileSync(join(container, 'owner.json'), JSON.stringify(owner))
      if (ageMs) {
        const then = new Date(Date.now() - ageMs)
        utimesSync(container, then, then)
      }
      return container
    }
    const dead = make('dead', { pid: deadPid() })
    const alive = make('alive', { pid: process.pid })
    const youngUnmarked = make('young')
    const oldUnmarked = make('old', undefined, 60 * 60 * 1000)
    const garbled = make('garbled', { pid: 'x' }, 60 * 60 * 1000)
    const unrelated = join(parent, 'someone-elses-dir')
    mkdirSync(unrelated)
    // A link named like a workspace, pointing at a directory with a dead owner: never followed.
    const victim = join(parent, 'victim')
    mkdirSync(victim)
    writeFileSync(join(victim, 'owner.json'), JSON.stringify({ pid: deadPid() }))
    const planted = join(parent, `${WORKSPACE_PREFIX}planted-link`)
    symlinkSync(victim, planted)
    const removed = sweepAbandonedWorkspaces(parent, true).sort()
    expect(removed).toEqual([dead, garbled, oldUnmarked].sort())
    expect(existsSync(alive)).toBe(true)
    expect(existsSync(youngUnmarked)).toBe(true)
    expect(existsSync(unrelated)).toBe(true)
    expect(existsSync(join(victim, 'owner.json'))).toBe(true)
    expect(lstatSync(planted).isSymbolicLink()).toBe(true)
  })
})
