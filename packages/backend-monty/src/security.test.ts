import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type HostDirectoryMount, type SandboxDriver, sandboxFromDriver } from '@pyflue/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { montyBackend } from './monty-backend-factory.js'

/** A small real sandbox over a host directory (node:fs), exposing it through hostMounts(). */
function hostDirSandbox(root: string, mode: HostDirectoryMount['mode']) {
  const host = (path: string) => join(root, path.replace(/^\/workspace\/?/, ''))
  const driver: SandboxDriver = {
    async exec() {
      return { stdout: '', stderr: 'no shell in this test sandbox', exitCode: 127 }
    },
    readFile: (path) => readFile(host(path), 'utf8'),
    readFileBuffer: async (path) => new Uint8Array(await readFile(host(path))),
    writeFile: (path, content) => writeFile(host(path), content),
    async stat(path) {
      const s = await stat(host(path))
      return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size, mtime: s.mtime }
    },
    readdir: async (path) => (await import('node:fs/promises')).readdir(host(path)),
    exists: async (path) =>
      stat(host(path)).then(
        () => true,
        () => false,
      ),
    mkdir: async (path, options) => {
      await mkdir(host(path), options)
    },
    rm: (path, options) => rm(host(path), options),
    hostMounts: () => [{ sandboxPath: '/workspace', hostDir: root, mode }],
  }
  return sandboxFromDriver(driver, { name: 'hostdir', cwd: '/workspace' })
}

let root: string
let workspace: string
let outside: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pyflue-monty-'))
  workspace = join(root, 'workspace')
  outside = join(root, 'outside')
  await mkdir(workspace)
  await mkdir(outside)
  await writeFile(join(workspace, 'notes.txt'), 'hello from the sandbox')
  await writeFile(join(outside, 'secret.txt'), 'top secret')
  await symlink(join(outside, 'secret.txt'), join(workspace, 'link-to-secret'))
  await symlink(outside, join(workspace, 'link-dir'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('files through a sandbox mount', () => {
  it('reads and writes the sandbox files through hostMounts()', async () => {
    const sandbox = hostDirSandbox(workspace, 'read-write')
    const backend = await montyBackend().createBackend({ sessionId: 's', sandbox })
    const run = await backend.run(
      'from pathlib import Path\ntext = Path("/workspace/notes.txt").read_text()\nPath("/workspace/out.txt").write_text(text.upper())\ntext',
    )
    expect(run.result).toBe('hello from the sandbox')
    expect(await sandbox.readFile('/workspace/out.txt')).toBe('HELLO FROM THE SANDBOX')
  })

  it('mounts work the same in-thread as in a pool process', async () => {
    const backend = createMontyBackend({
      sandbox: hostDirSandbox(workspace, 'read-only'),
      execution: 'in-thread-trusted-code-only',
    })
    const signal = new AbortController().signal
    expect((await backend.run('open("/workspace/notes.txt").read()', { signal })).result).toBe(
      'hello from the sandbox',
    )
    await expect(backend.run('open("/etc/passwd").read()', { signal })).rejects.toMatchObject({
      code: 'PYTHON_RUNTIME',
      excType: 'PermissionError',
    })
  })

  it('a read-only mount refuses writes', async () => {
    const backend = createMontyBackend({ sandbox: hostDirSandbox(workspace, 'read-only') })
    expect((await backend.run('open("/workspace/notes.txt").read()')).result).toBe('hello from the sandbox')
    await expect(
      backend.run('from pathlib import Path\nPath("/workspace/new.txt").write_text("x")'),
    ).rejects.toMatchObject({ code: 'PYTHON_RUNTIME' })
    await expect(stat(join(workspace, 'new.txt'))).rejects.toThrow()
  })

  for (const execution of ['pool', 'in-thread-trusted-code-only'] as const) {
    it(`caps the bytes one run may write through a mount, per run (${execution})`, async () => {
      const backend = createMontyBackend({
        sandbox: hostDirSandbox(workspace, 'read-write'),
        execution,
        maxWriteBytesPerRun: 1000,
      })
      const write = (name: string, size: number) =>
        `from pathlib import Path\ntry:\n    Path("/workspace/${name}").write_text("x" * ${size})\n    r = "ok"\nexcept OSError as e:\n    r = "OSError: " + str(e)\nr`
      expect((await backend.run(write(`cap-${execution}-small.txt`, 600))).result).toBe('ok')
      // The cap is per run: a second run may write as much again.
      expect((await backend.run(write(`cap-${execution}-again.txt`, 600))).result).toBe('ok')
      const refused = (await backend.run(write(`cap-${execution}-big.txt`, 5000))).result
      expect(refused).toMatch(/^OSError: .*limit/)
      const written = await stat(join(workspace, `cap-${execution}-big.txt`)).then(
        (s) => s.size,
        () => 0,
      )
      expect(written).toBe(0)
      await backend.close()
    })
  }

  it("a mount's own writeBytesLimit (a sandbox's remaining budget) lowers the cap", async () => {
    const sandbox = hostDirSandbox(workspace, 'read-write')
    const budgeted = {
      ...sandbox,
      hostMounts: () => sandbox.hostMounts!().map((m) => ({ ...m, writeBytesLimit: 10 })),
    }
    const backend = createMontyBackend({ sandbox: budgeted })
    const run = await backend.run(
      'from pathlib import Path\ntry:\n    Path("/workspace/budget.txt").write_text("y" * 50)\n    r = "ok"\nexcept OSError:\n    r = "refused"\nr',
    )
    expect(run.result).toBe('refused')
    await backend.close()
  })

  const escapes: [string, string][] = [
    ['.. out of the mount', 'open("/workspace/../outside/secret.txt").read()'],
    ['a symlink to a file outside', 'open("/workspace/link-to-secret").read()'],
    ['a symlinked directory outside', 'open("/workspace/link-dir/secret.txt").read()'],
    ['the host path itself', 'open(HOST_SECRET).read()'],
  ]
  for (const [name, code] of escapes)
    for (const execution of ['pool', 'in-thread-trusted-code-only'] as const) {
      it(`refuses ${name} (${execution})`, async () => {
        const backend = createMontyBackend({ sandbox: hostDirSandbox(workspace, 'read-write'), execution })
        const source = code.replace('HOST_SECRET', JSON.stringify(join(outside, 'secret.txt')))
        const outcome = await backend.run(source).then(
          (run) => run.result,
          (error: unknown) => error,
        )
        expect(outcome).toMatchObject({ code: 'PYTHON_RUNTIME' })
      })
    }
})

describe('no host access without a mount', () => {
  const blocked: [string, string][] = [
    ['reading a host file', 'open("/etc/passwd").read()'],
    ['reading a host file with pathlib', 'from pathlib import Path\nPath("/etc/hostname").read_text()'],
    ['listing the host root', 'from pathlib import Path\nlist(Path("/").iterdir())'],
    ['environment variables', 'import os\nos.environ["HOME"]'],
    ['a subprocess', 'import subprocess\nsubprocess.run(["ls"])'],
    ['os.system', 'import os\nos.system("touch /tmp/pwned")'],
    ['a socket', 'import socket\nsocket.socket()'],
    ['urllib', 'import urllib.request\nurllib.request.urlopen("http://example.com")'],
    ['__import__', '__import__("os").system("ls")'],
    ['open for writing', 'open("/tmp/pyflue-written", "w").write("x")'],
  ]
  for (const [name, code] of blocked)
    for (const execution of ['pool', 'in-thread-trusted-code-only'] as const) {
      it(`refuses ${name} (${execution})`, async () => {
        const backend = createMontyBackend({ execution })
        const outcome = await backend.run(code).then(
          (run) => ({ result: run.result }),
          (error: unknown) => error,
        )
        expect(outcome).toBeInstanceOf(Error)
        expect((outcome as { code?: string }).code).toMatch(/^PYTHON_/)
      })
    }

  it('os.getenv sees no host environment', async () => {
    const backend = createMontyBackend()
    const outcome = await backend.run('import os\nos.getenv("PATH")').then(
      (run) => run.result,
      (error: unknown) => (error as { code?: string }).code,
    )
    expect(outcome === null || outcome === 'PYTHON_RUNTIME').toBe(true)
  })
})

describe('outputs and inputs that would hurt the host', () => {
  it('caps huge print output with a truncation marker', async () => {
    // 10 000 prints: a generous deadline, so a loaded machine cannot turn the cap into a timeout.
    const backend = createMontyBackend({ maxStdoutBytes: 1000, defaultLimits: { maxDurationSecs: 120 } })
    const run = await backend.run('for i in range(10000):\n    print("x" * 100)\n"done"')
    expect(run.result).toBe('done')
    expect(run.stdout.startsWith('x'.repeat(100))).toBe(true)
    expect(run.stdout).toContain('[stdout truncated at 1000 bytes]')
    expect(run.stdout.length).toBeLessThan(1100)
    expect(run.metadata.stdoutTruncated).toBe(true)
  })

  it('refuses a cyclic input, naming the path', async () => {
    const backend = createMontyBackend()
    const cyclic: Record<string, unknown> = { a: [1] }
    ;(cyclic.a as unknown[]).push(cyclic)
    await expect(backend.run('x', { inputs: { x: cyclic } })).rejects.toMatchObject({
      code: 'VALUE_CONVERSION',
      path: 'inputs.x.a[1]',
      found: 'cycle',
    })
  })

  it('refuses a too-deep input, naming the path', async () => {
    const backend = createMontyBackend()
    let deep: unknown = 1
    for (let i = 0; i < 10_000; i++) deep = [deep]
    await expect(backend.run('x', { inputs: { x: deep } })).rejects.toMatchObject({
      code: 'VALUE_CONVERSION',
      found: 'too-deep',
    })
  })

  it('refuses a function input and a class instance, naming the path', async () => {
    const backend = createMontyBackend()
    await expect(backend.run('x', { inputs: { x: { f: () => 1 } } })).rejects.toMatchObject({
      code: 'VALUE_CONVERSION',
      path: 'inputs.x.f',
      found: 'function',
    })
    await expect(backend.run('x', { inputs: { x: [new URL('http://a')] } })).rejects.toMatchObject({
      code: 'VALUE_CONVERSION',
      path: 'inputs.x[0]',
      found: 'URL',
    })
  })

  it('refuses a deeply nested Python result cleanly', async () => {
    const backend = createMontyBackend()
    const outcome = await backend.run('x = []\nfor i in range(500):\n    x = [x]\nx').then(
      (run) => run.result,
      (error: unknown) => error,
    )
    expect(outcome).toMatchObject({ code: 'VALUE_CONVERSION', found: 'too-deep' })
    // The session keeps working.
    expect((await backend.run('1 + 1')).result).toBe(2)
  })
})
