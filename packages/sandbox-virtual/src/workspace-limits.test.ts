import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SandboxLimitError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import {
  createVirtualSandbox,
  DEFAULT_MAX_FILE_COUNT,
  DEFAULT_MAX_TOTAL_BYTES,
  type VirtualSandbox,
} from './index.js'
import { closingSandboxes } from './test-sandboxes.js'

const { make } = closingSandboxes()

async function limitError(promise: Promise<unknown>): Promise<SandboxLimitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SandboxLimitError)
  return error as SandboxLimitError
}

describe('maxTotalBytes', () => {
  it('refuses a write that would pass it, and writes nothing', async () => {
    const sandbox = await make({ maxTotalBytes: 10 })
    await sandbox.writeFile('a.txt', '12345')
    const error = await limitError(sandbox.writeFile('b.txt', '123456'))
    expect(error.limit).toBe('maxTotalBytes')
    expect(error.value).toBe(10)
    expect(error.code).toBe('SANDBOX_LIMIT')
    expect(await sandbox.exists('b.txt')).toBe(false)
    await sandbox.writeFile('b.txt', '12345')
    expect(await sandbox.readFile('b.txt')).toBe('12345')
  })

  it('counts a replaced file once: replacing with a smaller or equal size passes', async () => {
    const sandbox = await make({ maxTotalBytes: 8 })
    await sandbox.writeFile('a.txt', '12345678')
    await sandbox.writeFile('a.txt', 'abcdefgh')
    await limitError(sandbox.writeFile('a.txt', '123456789'))
    expect(await sandbox.readFile('a.txt')).toBe('abcdefgh')
    await sandbox.rm('a.txt')
    await sandbox.writeFile('c.txt', '1234')
  })

  it('counts bytes written by the shell and refuses shell writes past it', async () => {
    const sandbox = await make({ maxTotalBytes: 20 })
    await sandbox.exec('printf "0123456789" > ten.txt')
    await limitError(sandbox.writeFile('more.txt', '01234567890'))
    const result = await sandbox.exec('printf "0123456789X" > eleven.txt')
    expect(result.exitCode).not.toBe(0)
    expect(result.stderr).toContain('maxTotalBytes')
    // As on a full disk, the redirection opened (created) the file before the write was refused.
    expect(await sandbox.readFile('eleven.txt')).toBe('')
    const copy = await sandbox.exec('cp ten.txt copy1.txt && cp ten.txt copy2.txt')
    expect(copy.exitCode).not.toBe(0)
    expect(await sandbox.exists('copy1.txt')).toBe(true)
    expect(await sandbox.exists('copy2.txt')).toBe(false)
  })

  it('counts bytes Python (or anything) wrote straight to the directory', async () => {
    const sandbox = await make({ maxTotalBytes: 10 })
    const { writeFileSync } = await import('node:fs')
    writeFileSync(`${sandbox.hostMounts!()[0]!.hostDir}/direct.bin`, Buffer.alloc(8))
    await limitError(sandbox.writeFile('x.txt', '123'))
    await sandbox.writeFile('x.txt', '12')
  })

  it('seed files over the limit fail creation', async () => {
    const error = await limitError(createVirtualSandbox({ maxTotalBytes: 3, files: { 'a.txt': 'abcd' } }))
    expect(error.limit).toBe('maxTotalBytes')
  })
})

describe('maxFileCount', () => {
  it('counts files and directories (parents created by a write included)', async () => {
    const sandbox = await make({ maxFileCount: 3 })
    await sandbox.writeFile('a.txt', '')
    const error = await limitError(sandbox.writeFile('d/e/f.txt', ''))
    expect(error.limit).toBe('maxFileCount')
    expect(await sandbox.exists('d')).toBe(false)
    await sandbox.writeFile('d/f.txt', '')
    await limitError(sandbox.mkdir('x'))
    await sandbox.writeFile('a.txt', 'replacing is fine')
    await sandbox.rm('d', { recursive: true })
    await sandbox.mkdir('x/y', { recursive: true })
    await limitError(sandbox.mkdir('z'))
  })

  it('refuses shell changes past it', async () => {
    const sandbox = await make({ maxFileCount: 2 })
    const result = await sandbox.exec('touch one; touch two; mkdir three; touch four; echo done')
    expect(result.stdout).toBe('done\n')
    expect(result.stderr).toContain('maxFileCount')
    expect(await sandbox.readdir('/')).toEqual(['one', 'two'])
    const loop = await sandbox.exec('rm one two; for i in 1 2 3 4 5; do touch f$i; done; ls | wc -l')
    expect(loop.stdout.trim()).toBe('2')
  })
})

describe('safe defaults', () => {
  it(`every sandbox has a byte limit (${DEFAULT_MAX_TOTAL_BYTES}) and a file-count limit (${DEFAULT_MAX_FILE_COUNT})`, async () => {
    const sandbox = (await make()) as VirtualSandbox
    await sandbox.writeFile('a.bin', new Uint8Array(1000))
    const [mount] = sandbox.hostMounts()
    expect(mount?.writeBytesLimit).toBe(DEFAULT_MAX_TOTAL_BYTES - 1000)
    expect(mount?.mode).toBe('read-write')
    expect(DEFAULT_MAX_FILE_COUNT).toBe(50_000)
    expect(DEFAULT_MAX_TOTAL_BYTES).toBe(1024 ** 3)
  })

  it('Infinity turns a limit off; other bad values are refused', async () => {
    const sandbox = (await make({ maxTotalBytes: Number.POSITIVE_INFINITY })) as VirtualSandbox
    expect(sandbox.hostMounts()[0]?.writeBytesLimit).toBeUndefined()
    await expect(make({ maxFileCount: -1 })).rejects.toMatchObject({ argument: 'maxFileCount' })
    await expect(make({ maxOutputSize: Number.POSITIVE_INFINITY })).rejects.toMatchObject({
      argument: 'maxOutputSize',
    })
  })
})

describe('the mount lifecycle', () => {
  it('writes made through an open lease are charged at the next checked change and when it is released', async () => {
    const sandbox = (await make({ maxTotalBytes: 1000 })) as VirtualSandbox
    await sandbox.writeFile('small.txt', '1234')
    const lease = await sandbox.openHostMounts()
    const [mount] = lease.mounts
    expect(mount?.writeBytesLimit).toBe(996)
    // Python (or anything holding the mount) writes straight to the directory.
    writeFileSync(join(mount!.hostDir, 'first.bin'), new Uint8Array(990))
    const error = await limitError(sandbox.writeFile('more.txt', '1234567'))
    expect(error.limit).toBe('maxTotalBytes')
    expect(await sandbox.exists('more.txt')).toBe(false)
    // The shell, in its worker, sees the same account.
    const shell = await sandbox.exec('echo 1234567 > more.txt')
    expect(shell.exitCode).not.toBe(0)
    expect(shell.stderr).toContain('maxTotalBytes')
    // A later write through the mount is charged when the run's lease is released.
    writeFileSync(join(mount!.hostDir, 'second.bin'), new Uint8Array(6))
    await lease.release()
    expect(sandbox.hostMounts()[0]?.writeBytesLimit).toBe(0)
  })

  it('hostMounts() changes nothing: asking twice gives the same mount, and the workspace is untouched', async () => {
    const sandbox = (await make({ maxTotalBytes: 100, files: { 'a.txt': '12345' } })) as VirtualSandbox
    const first = sandbox.hostMounts()
    const second = sandbox.hostMounts()
    expect(second).toEqual(first)
    expect(first[0]?.writeBytesLimit).toBe(95)
    expect(await sandbox.readdir('/')).toEqual(['a.txt'])
  })
})

describe('without limits', () => {
  it('nothing is measured or refused', async () => {
    const sandbox = await make({
      maxTotalBytes: Number.POSITIVE_INFINITY,
      maxFileCount: Number.POSITIVE_INFINITY,
    })
    await sandbox.writeFile('big.bin', new Uint8Array(1024 * 1024))
    expect((await sandbox.stat('big.bin')).size).toBe(1024 * 1024)
  })
})
