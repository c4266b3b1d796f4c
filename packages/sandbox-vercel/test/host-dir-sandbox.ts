/**
 * Test infrastructure: a `Sandbox` over a host temp directory, built with core's
 * `sandboxFromDriver` and `node:fs`. It plays the workspace an in-process Python backend mounts
 * (it reports the directory through `hostMounts`).
 */
import { execFile } from 'node:child_process'
import * as fs from 'node:fs/promises'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isInsidePath, PathRefusedError, type Sandbox, sandboxFromDriver } from '@pyflue/core'

export const WORKSPACE = '/workspace'

export async function hostDirSandbox(): Promise<{ sandbox: Sandbox; hostDir: string }> {
  const hostDir = await mkdtemp(join(tmpdir(), 'pyflue-host-ws-'))
  const host = (path: string) => {
    if (!isInsidePath(WORKSPACE, path)) throw new PathRefusedError({ path, reason: 'outside-workspace' })
    return join(hostDir, path.slice(WORKSPACE.length))
  }
  const sandbox = sandboxFromDriver(
    {
      exec: (command, options) =>
        new Promise((done) => {
          execFile('bash', ['-c', command], { cwd: host(options.cwd) }, (error, stdout, stderr) =>
            done({ stdout, stderr, exitCode: error ? Number(error.code ?? 1) : 0 }),
          )
        }),
      readFile: (path) => fs.readFile(host(path), 'utf8'),
      readFileBuffer: async (path) => new Uint8Array(await fs.readFile(host(path))),
      writeFile: (path, content) => fs.writeFile(host(path), content),
      stat: async (path) => {
        const info = await fs.stat(host(path))
        return { isFile: info.isFile(), isDirectory: info.isDirectory(), size: info.size, mtime: info.mtime }
      },
      readdir: (path) => fs.readdir(host(path)),
      exists: (path) =>
        fs.stat(host(path)).then(
          () => true,
          () => false,
        ),
      mkdir: async (path, options) => {
        await fs.mkdir(host(path), options)
      },
      rm: (path, options) => fs.rm(host(path), options),
      hostMounts: () => [{ sandboxPath: WORKSPACE, hostDir, mode: 'read-write' }],
      close: () => fs.rm(hostDir, { recursive: true, force: true }),
    },
    { name: 'host-dir', cwd: WORKSPACE },
  )
  return { sandbox, hostDir }
}
