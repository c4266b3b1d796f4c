import { mkdtempSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openRegularFile } from './workspace-handles.js'

const roots: string[] = []
/** What a file descriptor of this process names (Linux), or undefined when it is closed. */
function linkOf(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`)
  } catch {
    return undefined
  }
}
afterEach(() => {
  vi.restoreAllMocks()
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true })
})

describe('openRegularFile', () => {
  it('closes the handle it opened when reading its type fails', async () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'pyflue-handles-test-')))
    roots.push(root)
    writeFileSync(join(root, 'a.txt'), 'x')
    // FileHandle is not exported by Node: reach its prototype through an open handle.
    const probe = await open(join(root, 'a.txt'), 'r')
    const proto = Object.getPrototypeOf(probe) as { stat: () => Promise<unknown> }
    await probe.close()
    const failure = Object.assign(new Error('EIO: i/o error, fstat'), { code: 'EIO' })
    let fd = -1
    vi.spyOn(proto, 'stat').mockImplementationOnce(function (this: { fd: number }) {
      fd = this.fd
      return Promise.reject(failure)
    })
    await expect(openRegularFile(root, '/a.txt', 'readFile')).rejects.toBe(failure)
    expect(fd).toBeGreaterThanOrEqual(0)
    // The descriptor no longer names the file: the handle was closed.
    expect(linkOf(fd)).not.toBe(join(root, 'a.txt'))
  })

  it('returns an open handle for a regular file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pyflue-handles-test-'))
    roots.push(root)
    writeFileSync(join(root, 'a.txt'), 'hello')
    const handle = await openRegularFile(root, '/a.txt', 'readFile')
    try {
      expect((await handle.readFile()).toString()).toBe('hello')
    } finally {
      await handle.close()
    }
  })
})
