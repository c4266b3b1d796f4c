import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import {
  InvalidArgumentError,
  isAbortError,
  type Sandbox,
  SandboxFileError,
  sandboxFromDriver,
} from '@pyflue/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useFakeE2B } from '../test/fake-e2b-context.js'
import { stageFiles } from './index.js'

const fake = useFakeE2B()
let remote: Sandbox
let local: Sandbox
let localRoot: string

/**
 * A local sandbox over a temp directory, built with core's `sandboxFromDriver` and node:fs: the
 * kind of workspace an in-process Python backend mounts. Sandbox path `/p` is `<root>/p`.
 */
function localSandbox(root: string): Sandbox {
  const host = (p: string) => path.join(root, p)
  return sandboxFromDriver(
    {
      exec: async () => {
        throw new Error('no shell in this test sandbox')
      },
      readFile: (p) => fs.readFile(host(p), 'utf8'),
      readFileBuffer: async (p) => new Uint8Array(await fs.readFile(host(p))),
      writeFile: (p, content) => fs.writeFile(host(p), content),
      stat: async (p) => {
        const s = await fs.stat(host(p))
        return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size, mtime: s.mtime }
      },
      readdir: (p) => fs.readdir(host(p)),
      exists: async (p) =>
        fs.stat(host(p)).then(
          () => true,
          () => false,
        ),
      mkdir: async (p, { recursive }) => {
        await fs.mkdir(host(p), { recursive })
      },
      rm: (p, options) => fs.rm(host(p), options),
    },
    { name: 'local-test', cwd: '/workspace' },
  )
}

beforeAll(async () => {
  remote = await fake.sandbox()
  localRoot = await fs.mkdtemp(path.join(tmpdir(), 'pyflue-stage-'))
  await fs.mkdir(path.join(localRoot, 'workspace'))
  local = localSandbox(localRoot)
})

afterAll(async () => {
  await fs.rm(localRoot, { recursive: true, force: true })
})

describe('stageFiles', () => {
  it('copies named files from the remote sandbox into a local workspace, byte for byte', async () => {
    await remote.exec(
      'mkdir -p data && printf "a,b\\n1,2\\n" > data/table.csv && head -c 300 /dev/urandom > data/blob.bin',
    )
    const staged = await stageFiles(remote, local, ['data/table.csv', 'data/blob.bin'])
    expect(staged).toEqual([
      { from: `${remote.cwd}/data/table.csv`, to: '/workspace/data/table.csv', bytes: 8 },
      { from: `${remote.cwd}/data/blob.bin`, to: '/workspace/data/blob.bin', bytes: 300 },
    ])
    expect(await fs.readFile(path.join(localRoot, 'workspace/data/table.csv'), 'utf8')).toBe('a,b\n1,2\n')
    const remoteBlob = await fs.readFile(path.join(remote.cwd, 'data/blob.bin'))
    expect(await fs.readFile(path.join(localRoot, 'workspace/data/blob.bin'))).toEqual(remoteBlob)
  })

  it('copies results back from the local workspace into the remote sandbox under new names', async () => {
    await local.writeFile('out/result.json', '{"ok":true}')
    const staged = await stageFiles(local, remote, [{ from: 'out/result.json', to: 'results/py.json' }])
    expect(staged).toEqual([
      { from: '/workspace/out/result.json', to: `${remote.cwd}/results/py.json`, bytes: 11 },
    ])
    expect((await remote.exec('cat results/py.json')).stdout).toBe('{"ok":true}')
  })

  it('reads every source before writing: a missing source writes nothing', async () => {
    await remote.writeFile('present.txt', 'here')
    const error = await stageFiles(remote, local, ['present.txt', 'absent.txt']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SandboxFileError)
    expect((error as SandboxFileError).errno).toBe('ENOENT')
    expect((error as SandboxFileError).path).toBe(`${remote.cwd}/absent.txt`)
    expect(await local.exists('present.txt')).toBe(false)
  })

  it('refuses a directory as a source (name the files)', async () => {
    await remote.mkdir('a-directory', { recursive: true })
    const error = await stageFiles(remote, local, ['a-directory']).catch((e: unknown) => e)
    expect((error as SandboxFileError).errno).toBe('EISDIR')
  })

  it('refuses malformed file lists with InvalidArgumentError before reading', async () => {
    await expect(stageFiles(remote, local, [''])).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(stageFiles(remote, local, [{ from: 'a' } as never])).rejects.toBeInstanceOf(
      InvalidArgumentError,
    )
    await expect(stageFiles(remote, local, 'a.txt' as never)).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('a destination path with .. stays inside the destination sandbox', async () => {
    await remote.writeFile('escape.txt', 'contained')
    const staged = await stageFiles(remote, local, [
      { from: 'escape.txt', to: '../../../../../../tmp/escaped.txt' },
    ])
    expect(staged[0]?.to).toBe('/tmp/escaped.txt')
    expect(await fs.readFile(path.join(localRoot, 'tmp/escaped.txt'), 'utf8')).toBe('contained')
  })

  it('an aborted signal stops before anything is read or written', async () => {
    const before = await fs.readdir(path.join(localRoot, 'workspace'))
    const error = await stageFiles(remote, local, ['present.txt'], { signal: AbortSignal.abort() }).catch(
      (e: unknown) => e,
    )
    expect(isAbortError(error)).toBe(true)
    expect(await fs.readdir(path.join(localRoot, 'workspace'))).toEqual(before)
  })
})
