import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type SandboxDriver, sandboxFromDriver } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { describeSandboxContract } from '../src/index.js'
import { HostDirSandbox } from './third-party/host-dir-sandbox.js'

/**
 * A driver as a remote provider adapter would write it: plain verbs on absolute paths, Node-style
 * errors, no parent creation in writeFile, unsorted readdir. `sandboxFromDriver` must turn it
 * into a sandbox that passes the whole contract.
 */
async function nodeFsDriver(): Promise<{ driver: SandboxDriver; root: string }> {
  const root = await fs.mkdtemp(join(tmpdir(), 'pyflue-driver-'))
  const shell = new HostDirSandbox(root)
  const driver: SandboxDriver = {
    exec: (command, options) => shell.exec(command, options),
    readFile: (path) => fs.readFile(path, 'utf8'),
    readFileBuffer: async (path) => new Uint8Array(await fs.readFile(path)),
    writeFile: (path, content) => fs.writeFile(path, content),
    async stat(path) {
      const stat = await fs.stat(path)
      return { isFile: stat.isFile(), isDirectory: stat.isDirectory(), size: stat.size, mtime: stat.mtime }
    },
    readdir: async (path) => (await fs.readdir(path)).reverse(),
    exists: async (path) => {
      await fs.access(path)
      return true
    },
    async mkdir(path, { recursive }) {
      if (recursive && (await fs.stat(path).catch(() => undefined))?.isFile()) {
        throw Object.assign(new Error(`EEXIST: ${path}`), { code: 'EEXIST' })
      }
      await fs.mkdir(path, { recursive })
    },
    rm: (path, options) => fs.rm(path, options),
    close: () => fs.rm(root, { recursive: true, force: true }),
  }
  return { driver, root }
}

describeSandboxContract('sandboxFromDriver over a node:fs driver', async () => {
  const { driver, root } = await nodeFsDriver()
  return sandboxFromDriver(driver, { name: 'node-fs-driver', cwd: root })
})

describe('sandboxFromDriver', () => {
  it('reports a command still running after an abort through onOrphanSettled', async () => {
    const { driver, root } = await nodeFsDriver()
    let report!: (settlement: unknown) => void
    const settled = new Promise((resolve) => {
      report = resolve
    })
    const sandbox = sandboxFromDriver(
      { ...driver, exec: (command, options) => driver.exec(command, { ...options, signal: undefined }) },
      { name: 'orphans', cwd: root, onOrphanSettled: report },
    )
    const controller = new AbortController()
    const running = sandbox.exec('sleep 0.3; echo late', { signal: controller.signal })
    controller.abort()
    await expect(running).rejects.toMatchObject({ name: 'AbortError' })
    expect(await settled).toEqual({
      command: 'sleep 0.3; echo late',
      result: { stdout: 'late\n', stderr: '', exitCode: 0 },
    })
    await sandbox.close!()
  })
})
