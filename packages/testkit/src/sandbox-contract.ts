import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Sandbox } from '@pyflue/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkSuiteOptions } from './check-options.js'
import { expectAbortError, expectRejectsWith } from './expect-errors.js'

/** Options of `describeSandboxContract`. */
export interface SandboxContractOptions {
  /** Per-test timeout in milliseconds (remote sandboxes may need more). Default 30 000. */
  timeoutMs?: number
  /**
   * Called after each test with the sandbox it made; defaults to `sandbox.close?.()`.
   * Use it to release provider resources.
   */
  dispose?: (sandbox: Sandbox) => Promise<void> | void
}

/**
 * Registers one vitest test per guarantee of the `Sandbox` contract (see `@pyflue/core`'s
 * `sandbox.ts`) for the sandboxes `makeSandbox` returns. Each test gets a fresh sandbox and
 * works in a scratch directory of its own under the sandbox's `cwd`.
 */
export function describeSandboxContract(
  name: string,
  makeSandbox: () => Sandbox | Promise<Sandbox>,
  options: SandboxContractOptions = {},
): void {
  checkSuiteOptions(options, ['timeoutMs', 'dispose'], 'describeSandboxContract options')
  describe(`Sandbox contract: ${name}`, () => {
    let sandbox: Sandbox
    let dir: string

    beforeEach(async () => {
      sandbox = await makeSandbox()
      dir = `pyflue-contract-${Math.random().toString(36).slice(2, 10)}`
      await sandbox.mkdir(dir)
    }, options.timeoutMs)

    afterEach(async () => {
      await sandbox.rm(dir, { recursive: true, force: true }).catch(() => {})
      if (options.dispose) await options.dispose(sandbox)
      else await sandbox.close?.()
    }, options.timeoutMs)

    const test = (title: string, fn: () => Promise<void>) => it(title, fn, options.timeoutMs)
    const p = (path: string) => `${dir}/${path}`

    describe('identity and paths', () => {
      test('name is a non-empty string and contractVersion is 1', async () => {
        expect(typeof sandbox.name).toBe('string')
        expect(sandbox.name.length).toBeGreaterThan(0)
        expect(sandbox.contractVersion).toBe(1)
      })

      test('cwd is an absolute POSIX path', async () => {
        expect(sandbox.cwd.startsWith('/')).toBe(true)
        expect(sandbox.cwd.includes('\\')).toBe(false)
      })

      test('resolvePath resolves a relative path against cwd', async () => {
        const expected = sandbox.cwd === '/' ? '/a/b' : `${sandbox.cwd}/a/b`
        expect(sandbox.resolvePath('a/b')).toBe(expected)
      })

      test('resolvePath normalises absolute paths and two spellings give the same string', async () => {
        expect(sandbox.resolvePath('/x//y/./z/../w')).toBe('/x/y/w')
        expect(sandbox.resolvePath('a/./b/../c')).toBe(sandbox.resolvePath('a/c'))
        expect(sandbox.resolvePath(`${sandbox.cwd}/a/c`)).toBe(sandbox.resolvePath('a/c'))
      })

      test('file verbs accept relative and absolute paths alike', async () => {
        await sandbox.writeFile(p('rel.txt'), 'relative')
        expect(await sandbox.readFile(sandbox.resolvePath(p('rel.txt')))).toBe('relative')
        await sandbox.writeFile(sandbox.resolvePath(p('abs.txt')), 'absolute')
        expect(await sandbox.readFile(p('abs.txt'))).toBe('absolute')
      })
    })

    describe('exec', () => {
      test('resolves stdout, stderr and exit code 0 for a successful command', async () => {
        const result = await sandbox.exec('echo out; echo err 1>&2')
        expect(result).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 0 })
      })

      test('resolves (does not reject) a command that exits non-zero', async () => {
        const result = await sandbox.exec('echo failing 1>&2; exit 3')
        expect(result.exitCode).toBe(3)
        expect(result.stderr).toBe('failing\n')
      })

      test('runs in cwd by default', async () => {
        const result = await sandbox.exec('pwd')
        expect(result.stdout.trim()).toBe(sandbox.cwd)
      })

      test('options.cwd: a relative directory resolves against cwd', async () => {
        const result = await sandbox.exec('pwd', { cwd: dir })
        expect(result.stdout.trim()).toBe(sandbox.resolvePath(dir))
      })

      test('options.cwd: an absolute directory is used as given', async () => {
        const result = await sandbox.exec('pwd', { cwd: sandbox.resolvePath(dir) })
        expect(result.stdout.trim()).toBe(sandbox.resolvePath(dir))
      })

      test('options.env is visible to the command and does not persist', async () => {
        const first = await sandbox.exec('echo "[$PYFLUE_CONTRACT_VAR]"', {
          env: { PYFLUE_CONTRACT_VAR: 'set' },
        })
        expect(first.stdout).toBe('[set]\n')
        const second = await sandbox.exec('echo "[$PYFLUE_CONTRACT_VAR]"')
        expect(second.stdout).toBe('[]\n')
      })

      test('an expired timeoutMs resolves with exit code 124', async () => {
        const result = await sandbox.exec('sleep 60; echo finished', { timeoutMs: 300 })
        expect(result.exitCode).toBe(124)
        expect(result.stdout).not.toContain('finished')
      })

      test('an already-aborted signal rejects with AbortError before the command runs', async () => {
        const controller = new AbortController()
        controller.abort(new Error('stop'))
        await expectAbortError(sandbox.exec(`touch ${p('should-not-exist')}`, { signal: controller.signal }))
        expect(await sandbox.exists(p('should-not-exist'))).toBe(false)
      })

      test('an abort during a command rejects with AbortError carrying the reason as cause', async () => {
        const controller = new AbortController()
        const reason = new Error('user pressed stop')
        const running = sandbox.exec('sleep 60', { signal: controller.signal })
        setTimeout(() => controller.abort(reason), 150)
        const error = await expectAbortError(running)
        expect((error as { cause?: unknown }).cause).toBe(reason)
      })
    })

    describe('readFile and readFileBuffer', () => {
      test('readFile returns UTF-8 text', async () => {
        await sandbox.writeFile(p('text.txt'), 'héllo wörld ✓\nline 2')
        expect(await sandbox.readFile(p('text.txt'))).toBe('héllo wörld ✓\nline 2')
      })

      test('readFile of a missing path rejects with ENOENT', async () => {
        await expectRejectsWith(sandbox.readFile(p('missing.txt')), 'ENOENT')
      })

      test('readFile of a directory rejects with EISDIR', async () => {
        await expectRejectsWith(sandbox.readFile(dir), 'EISDIR')
      })

      test('readFileBuffer returns the raw bytes as a Uint8Array', async () => {
        const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
        await sandbox.writeFile(p('bytes.bin'), bytes)
        const read = await sandbox.readFileBuffer(p('bytes.bin'))
        expect(read).toBeInstanceOf(Uint8Array)
        expect(Array.from(read)).toEqual(Array.from(bytes))
      })

      test('readFileBuffer of a missing path rejects with ENOENT', async () => {
        await expectRejectsWith(sandbox.readFileBuffer(p('missing.bin')), 'ENOENT')
      })
    })

    describe('writeFile', () => {
      test('creates a file and replaces an existing one', async () => {
        await sandbox.writeFile(p('w.txt'), 'first version, longer')
        await sandbox.writeFile(p('w.txt'), 'second')
        expect(await sandbox.readFile(p('w.txt'))).toBe('second')
      })

      test('creates missing parent directories', async () => {
        await sandbox.writeFile(p('deep/er/still/file.txt'), 'nested')
        expect(await sandbox.readFile(p('deep/er/still/file.txt'))).toBe('nested')
        expect((await sandbox.stat(p('deep/er'))).isDirectory).toBe(true)
      })

      test('writing over a directory rejects with EISDIR', async () => {
        await sandbox.mkdir(p('a-dir'))
        await expectRejectsWith(sandbox.writeFile(p('a-dir'), 'x'), 'EISDIR')
      })

      test('files written by writeFile are visible to exec, and files made by exec to readFile', async () => {
        await sandbox.writeFile(p('from-verb.txt'), 'verb')
        const cat = await sandbox.exec(`cat ${p('from-verb.txt')}`)
        expect(cat.stdout).toBe('verb')
        const made = await sandbox.exec(`printf shell > ${p('from-shell.txt')}`)
        expect(made.exitCode).toBe(0)
        expect(await sandbox.readFile(p('from-shell.txt'))).toBe('shell')
      })
    })

    describe('stat', () => {
      test('describes a file; size and mtime are real when present', async () => {
        await sandbox.writeFile(p('s.txt'), 'four')
        const stat = await sandbox.stat(p('s.txt'))
        expect(stat.isFile).toBe(true)
        expect(stat.isDirectory).toBe(false)
        if (stat.size !== undefined) expect(stat.size).toBe(4)
        if (stat.mtime !== undefined) {
          expect(stat.mtime).toBeInstanceOf(Date)
          expect(Number.isNaN(stat.mtime.getTime())).toBe(false)
        }
      })

      test('describes a directory', async () => {
        const stat = await sandbox.stat(dir)
        expect(stat.isDirectory).toBe(true)
        expect(stat.isFile).toBe(false)
      })

      test('a missing path rejects with ENOENT', async () => {
        await expectRejectsWith(sandbox.stat(p('nope')), 'ENOENT')
      })
    })

    describe('readdir', () => {
      test('returns entry names only, sorted, without . and ..', async () => {
        await sandbox.writeFile(p('list/b.txt'), 'b')
        await sandbox.writeFile(p('list/a.txt'), 'a')
        await sandbox.mkdir(p('list/c'))
        expect(await sandbox.readdir(p('list'))).toEqual(['a.txt', 'b.txt', 'c'])
      })

      test('a missing directory rejects with ENOENT', async () => {
        await expectRejectsWith(sandbox.readdir(p('no-such-dir')), 'ENOENT')
      })

      test('a file rejects with ENOTDIR', async () => {
        await sandbox.writeFile(p('plain.txt'), 'x')
        await expectRejectsWith(sandbox.readdir(p('plain.txt')), 'ENOTDIR')
      })
    })

    describe('exists', () => {
      test('is true for a file and a directory', async () => {
        await sandbox.writeFile(p('e.txt'), 'x')
        expect(await sandbox.exists(p('e.txt'))).toBe(true)
        expect(await sandbox.exists(dir)).toBe(true)
      })

      test('is false for a missing path and never rejects, even for odd paths', async () => {
        await sandbox.writeFile(p('file.txt'), 'x')
        expect(await sandbox.exists(p('missing'))).toBe(false)
        expect(await sandbox.exists(p('file.txt/child'))).toBe(false)
        expect(await sandbox.exists(`${p('x')}\u0000y`)).toBe(false)
        expect(await sandbox.exists(`${p('')}${'long/'.repeat(2000)}end`)).toBe(false)
      })
    })

    describe('mkdir', () => {
      test('creates one directory', async () => {
        await sandbox.mkdir(p('one'))
        expect((await sandbox.stat(p('one'))).isDirectory).toBe(true)
      })

      test('without recursive, an existing path rejects with EEXIST', async () => {
        await sandbox.mkdir(p('twice'))
        await expectRejectsWith(sandbox.mkdir(p('twice')), 'EEXIST')
      })

      test('without recursive, a missing parent rejects with ENOENT', async () => {
        await expectRejectsWith(sandbox.mkdir(p('no-parent/child')), 'ENOENT')
        expect(await sandbox.exists(p('no-parent'))).toBe(false)
      })

      test('recursive creates missing parents and accepts an existing directory', async () => {
        await sandbox.mkdir(p('r/s/t'), { recursive: true })
        expect((await sandbox.stat(p('r/s/t'))).isDirectory).toBe(true)
        await sandbox.mkdir(p('r/s/t'), { recursive: true })
        await sandbox.mkdir(p('r'), { recursive: true })
      })

      test('recursive rejects with EEXIST when a file is in the way', async () => {
        await sandbox.writeFile(p('in-the-way'), 'x')
        await expectRejectsWith(sandbox.mkdir(p('in-the-way'), { recursive: true }), 'EEXIST')
      })
    })

    describe('rm (as Node fs.rm)', () => {
      test('removes a file', async () => {
        await sandbox.writeFile(p('gone.txt'), 'x')
        await sandbox.rm(p('gone.txt'))
        expect(await sandbox.exists(p('gone.txt'))).toBe(false)
      })

      test('a missing path rejects with ENOENT', async () => {
        await expectRejectsWith(sandbox.rm(p('never-was')), 'ENOENT')
      })

      test('force resolves on a missing path', async () => {
        await expect(sandbox.rm(p('never-was'), { force: true })).resolves.toBeUndefined()
      })

      test('a directory without recursive rejects with EISDIR and is kept, even with force', async () => {
        await sandbox.writeFile(p('keep/inner.txt'), 'x')
        await expectRejectsWith(sandbox.rm(p('keep')), 'EISDIR')
        await expectRejectsWith(sandbox.rm(p('keep'), { force: true }), 'EISDIR')
        expect(await sandbox.readFile(p('keep/inner.txt'))).toBe('x')
      })

      test('recursive removes a whole tree', async () => {
        await sandbox.writeFile(p('tree/a/b/c.txt'), 'x')
        await sandbox.writeFile(p('tree/d.txt'), 'y')
        await sandbox.rm(p('tree'), { recursive: true })
        expect(await sandbox.exists(p('tree'))).toBe(false)
        expect(await sandbox.exists(dir)).toBe(true)
      })
    })

    describe('optional capabilities', () => {
      test('hostMounts, when present, show the same files on the host', async () => {
        if (!sandbox.hostMounts) {
          expect(sandbox.hostMounts).toBeUndefined()
          return
        }
        const target = sandbox.resolvePath(p('host-visible.txt'))
        await sandbox.writeFile(target, 'seen from the host')
        const mount = sandbox
          .hostMounts()
          .filter(
            (m) =>
              target === m.sandboxPath ||
              target.startsWith(m.sandboxPath === '/' ? '/' : `${m.sandboxPath}/`),
          )
          .sort((a, b) => b.sandboxPath.length - a.sandboxPath.length)[0]
        expect(mount).toBeDefined()
        expect(['read-write', 'read-only']).toContain(mount!.mode)
        const hostPath = join(mount!.hostDir, target.slice(mount!.sandboxPath.length))
        expect(existsSync(hostPath)).toBe(true)
        expect(readFileSync(hostPath, 'utf8')).toBe('seen from the host')
      })

      test('close, when present, can be called twice', async () => {
        if (!sandbox.close) {
          expect(sandbox.close).toBeUndefined()
          return
        }
        await sandbox.rm(dir, { recursive: true, force: true })
        await sandbox.close()
        await expect(sandbox.close()).resolves.toBeUndefined()
      })
    })
  })
}
