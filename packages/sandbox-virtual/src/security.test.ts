/**
 * Issue-10 guarantees of the workspace beyond the escape races: non-regular files are refused
 * without blocking, and no error text names a host path.
 */
import { execFileSync } from 'node:child_process'
import { symlinkSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { PathRefusedError, type Sandbox, SandboxFileError } from '@pyflue/core'
import { afterEach, describe, expect, it } from 'vitest'
import { closingSandboxes } from './test-sandboxes.js'

const { make } = closingSandboxes()

function hostDir(sandbox: Sandbox): string {
  return sandbox.hostMounts!()[0]!.hostDir
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => new Error(`expected a rejection, got ${String(value)}`),
    (error: unknown) => error,
  )
}

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

/** A workspace holding a FIFO (no writer ever opens it) and a listening Unix socket. */
async function withSpecialFiles(): Promise<Sandbox> {
  const sandbox = await make({ files: { 'plain.txt': 'plain' } })
  execFileSync('mkfifo', [join(hostDir(sandbox), 'fifo')])
  const server = createServer()
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(join(hostDir(sandbox), 'socket'), resolve))
  return sandbox
}

describe('non-regular files (FIFOs, sockets)', () => {
  it('the file verbs refuse them at once, never waiting for a writer', async () => {
    const sandbox = await withSpecialFiles()
    for (const name of ['fifo', 'socket']) {
      for (const attempt of [
        () => sandbox.readFile(name),
        () => sandbox.readFileBuffer(name),
        () => sandbox.writeFile(name, 'x'),
      ]) {
        const error = await failure(attempt())
        expect(error).toBeInstanceOf(SandboxFileError)
        expect((error as SandboxFileError).message).toMatch(/not a regular file/)
      }
      const stat = await sandbox.stat(name)
      expect(stat.isFile || stat.isDirectory).toBe(false)
    }
    expect(await sandbox.readFile('plain.txt')).toBe('plain')
  })

  it('shell commands reading them fail at once instead of hanging the host', async () => {
    const sandbox = await withSpecialFiles()
    const result = await sandbox.exec(
      'cat fifo; cat socket; head -c 1 fifo; grep -r x .; wc -c fifo; echo alive',
    )
    expect(result.stdout).toContain('alive')
    expect(result.stderr).toMatch(/fifo/)
    for (const line of ['echo x >> fifo', 'echo x > fifo', 'echo x >> socket']) {
      const write = await sandbox.exec(line)
      expect(write.exitCode).not.toBe(0)
    }
  })

  it('the shell cannot make one (no mkfifo, no mknod)', async () => {
    const sandbox = await make()
    const result = await sandbox.exec('mkfifo p; mknod q p; ls')
    expect(result.stdout).toBe('')
    expect(await sandbox.readdir('/')).toEqual([])
  })
})

describe('errors never name a host path', () => {
  it('over many failing file verbs and shell commands', async () => {
    const sandbox = await withSpecialFiles()
    const root = hostDir(sandbox)
    const container = join(root, '..')
    await sandbox.writeFile('dir/file.txt', 'x')
    symlinkSync('/etc', join(root, 'link'))
    // The refusals are typed and name the sandbox path asked for.
    expect(await failure(sandbox.readFile('link/passwd'))).toMatchObject({ path: '/link/passwd' })
    expect(await failure(sandbox.readFile('link/passwd'))).toBeInstanceOf(PathRefusedError)
    const limited = await make({ maxTotalBytes: 10, maxFileCount: 3 })
    const texts: string[] = []
    const record = (error: unknown) => {
      texts.push(String(error), (error as Error).message ?? '', JSON.stringify(error) ?? '')
    }
    const paths = [
      'missing',
      'dir',
      'dir/file.txt/below',
      'fifo',
      'socket',
      'link',
      'link/passwd',
      'n'.repeat(300),
      'a\0b',
    ]
    for (const path of paths) {
      for (const attempt of [
        () => sandbox.readFile(path),
        () => sandbox.readFileBuffer(path),
        () => sandbox.writeFile(path, 'x'),
        () => sandbox.writeFile(`${path}/child`, 'x'),
        () => sandbox.stat(path),
        () => sandbox.readdir(path),
        () => sandbox.mkdir(path),
        () => sandbox.mkdir(`${path}/a/b`, { recursive: true }),
        () => sandbox.rm(path),
        () => sandbox.rm(`${path}/child`),
        () => limited.writeFile(path, 'more than ten bytes'),
        () => limited.mkdir(`${path}/a/b/c`, { recursive: true }),
      ]) {
        await attempt().then(() => {}, record)
      }
      const shell = await sandbox.exec(
        `cat ${path}; ls ${path}; cd ${path}; echo x > ${path}/new; rm ${path}/x; mkdir ${path}/x/y`,
      )
      texts.push(shell.stdout, shell.stderr)
    }
    expect(texts.length).toBeGreaterThan(250)
    for (const text of texts) {
      expect(text).not.toContain(root)
      expect(text).not.toContain(container)
      expect(text).not.toMatch(/pyflue-virtual-|\/proc\/self\/fd/)
    }
  })
})
