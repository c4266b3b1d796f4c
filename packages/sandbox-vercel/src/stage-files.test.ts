import { readFile as hostReadFile, writeFile as hostWriteFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidArgumentError, type Sandbox, SandboxFileError } from '@pyflue/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hostDirSandbox } from '../test/host-dir-sandbox.js'
import { VercelApiServer } from '../test/vercel-api-server.js'
import { createVercelSandbox, stageFiles } from './index.js'

let server: VercelApiServer
let remote: Sandbox
let local: Sandbox
let hostDir: string

beforeAll(async () => {
  server = await VercelApiServer.start()
  remote = await createVercelSandbox({ ...server.credentials, fetch: server.fetch })
  ;({ sandbox: local, hostDir } = await hostDirSandbox())
})
afterAll(async () => {
  await local.close?.()
  await remote.close?.()
  await server.close()
})

describe('stageFiles: remote sandbox <-> the Python workspace', () => {
  it('copies named remote files into the host workspace that Python mounts, byte for byte', async () => {
    await remote.exec(
      `mkdir -p data && printf 'a,b\\n1,2\\n' > data/input.csv && printf '\\x00\\xff\\x10' > data/blob.bin`,
    )
    const staged = await stageFiles(remote, local, [
      'data/input.csv',
      'data/blob.bin',
      { from: `${remote.cwd}/data/input.csv`, to: 'renamed/copy.csv' },
    ])
    expect(staged).toEqual([
      { from: `${remote.cwd}/data/input.csv`, to: '/workspace/data/input.csv', bytes: 8 },
      { from: `${remote.cwd}/data/blob.bin`, to: '/workspace/data/blob.bin', bytes: 3 },
      { from: `${remote.cwd}/data/input.csv`, to: '/workspace/renamed/copy.csv', bytes: 8 },
    ])
    const mount = local.hostMounts!()[0]!
    expect(await hostReadFile(join(mount.hostDir, 'data/input.csv'), 'utf8')).toBe('a,b\n1,2\n')
    expect([...(await hostReadFile(join(hostDir, 'data/blob.bin')))]).toEqual([0, 255, 16])
    expect(await hostReadFile(join(hostDir, 'renamed/copy.csv'), 'utf8')).toBe('a,b\n1,2\n')
  })

  it('copies what Python wrote back to the remote sandbox', async () => {
    await hostWriteFile(join(hostDir, 'result.json'), '{"total": 3}')
    await stageFiles(local, remote, [{ from: 'result.json', to: 'out/result.json' }])
    expect((await remote.exec('cat out/result.json')).stdout).toBe('{"total": 3}')
  })

  it('copies only the paths named', async () => {
    await remote.exec('mkdir -p only && echo 1 > only/wanted && echo 2 > only/secret')
    await stageFiles(remote, local, ['only/wanted'])
    expect(await local.readdir('only')).toEqual(['wanted'])
  })

  it('a missing source is the source sandbox ENOENT, and nothing is written', async () => {
    await remote.exec('echo first > first.txt')
    const error = await stageFiles(remote, local, ['first.txt', 'missing.txt']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SandboxFileError)
    expect(error).toMatchObject({ errno: 'ENOENT', path: `${remote.cwd}/missing.txt` })
    expect(await local.exists('first.txt')).toBe(false)
    expect(await local.exists('missing.txt')).toBe(false)
  })

  it('refuses malformed path lists before copying anything', async () => {
    await expect(stageFiles(remote, local, [''])).rejects.toBeInstanceOf(InvalidArgumentError)
    await remote.exec('echo fresh > fresh.txt')
    await expect(
      stageFiles(remote, local, ['fresh.txt', { from: 'x' } as unknown as string]),
    ).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(await local.exists('fresh.txt')).toBe(false)
    await expect(stageFiles(remote, local, 'first.txt' as unknown as string[])).rejects.toBeInstanceOf(
      InvalidArgumentError,
    )
  })
})
