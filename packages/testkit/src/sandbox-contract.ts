import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { closestKey, InvalidArgumentError, type Sandbox } from '@pyflue/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkSuiteOptions } from './check-options.js'
import { expectAbortError, expectPyFlueError, expectRejectsWith } from './expect-errors.js'

/** Options of `describeSandboxContract`. */
export interface SandboxContractOptions {
  /** Per-test timeout in milliseconds (remote sandboxes may need more). Default 30 000. */
  timeoutMs?: number
  /**
   * Called after each test with the sandbox it made; defaults to `sandbox.close?.()`.
   * Use it to release provider resources.
   */
  dispose?: (sandbox: Sandbox) => Promise<void> | void
  /**
   * Tests not to register, by full title (`'<group> > <test>'`, as `sandboxContractTitles()`
   * lists them), for guarantees your sandbox cannot offer by design (say why beside the list).
   * A title the suite does not have is refused with `InvalidArgumentError`, so a typo cannot
   * skip nothing.
   */
  notApplicable?: readonly string[]
}

/** How the suite registers a group of tests and a test (vitest's, or the title collector's). */
interface Registrar {
  group(name: string, fn: () => void): void
  test(title: string, fn: () => Promise<void>): void
}

/** The full titles of the suite's tests (`'<group> > <test>'`), in order: what `notApplicable` accepts. */
export function sandboxContractTitles(): string[] {
  const titles: string[] = []
  const path: string[] = []
  const state = { sandbox: undefined as unknown as Sandbox, dir: '' }
  registerSandboxTests(
    {
      group(name, fn) {
        path.push(name)
        fn()
        path.pop()
      },
      test(title) {
        titles.push([...path, title].join(' > '))
      },
    },
    state,
  )
  return titles
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
  checkSuiteOptions(options, ['timeoutMs', 'dispose', 'notApplicable'], 'describeSandboxContract options')
  const skipped = checkNotApplicable(options.notApplicable)
  describe(`Sandbox contract: ${name}`, () => {
    const state = { sandbox: undefined as unknown as Sandbox, dir: '' }

    beforeEach(async () => {
      state.sandbox = await makeSandbox()
      state.dir = `pyflue-contract-${Math.random().toString(36).slice(2, 10)}`
      await state.sandbox.mkdir(state.dir)
    }, options.timeoutMs)

    afterEach(async () => {
      await state.sandbox.rm(state.dir, { recursive: true, force: true }).catch(() => {})
      if (options.dispose) await options.dispose(state.sandbox)
      else await state.sandbox.close?.()
    }, options.timeoutMs)

    const path: string[] = []
    registerSandboxTests(
      {
        group(groupName, fn) {
          describe(groupName, () => {
            path.push(groupName)
            fn()
            path.pop()
          })
        },
        test(title, fn) {
          if (!skipped.has([...path, title].join(' > '))) it(title, fn, options.timeoutMs)
        },
      },
      state,
    )
  })
}

/** The `notApplicable` titles as a set, each checked against the suite's own titles. */
function checkNotApplicable(given: unknown): Set<string> {
  if (given === undefined) return new Set()
  const where = 'describeSandboxContract options.notApplicable'
  if (!Array.isArray(given) || given.some((title) => typeof title !== 'string')) {
    throw new InvalidArgumentError(where, `${where} must be an array of test titles.`)
  }
  const known = sandboxContractTitles()
  for (const title of given as string[]) {
    if (known.includes(title)) continue
    const suggestion = closestKey(title, known)
    throw new InvalidArgumentError(
      where,
      `${where}: the suite has no test '${title}'.${suggestion === undefined ? '' : ` Did you mean '${suggestion}'?`} sandboxContractTitles() lists them.`,
    )
  }
  return new Set(given as string[])
}

/** Registers every test of the suite through `r`; the tests read the sandbox and scratch directory of `state`. */
function registerSandboxTests(r: Registrar, state: { sandbox: Sandbox; dir: string }): void {
  const { group, test } = r
  const p = (path: string) => `${state.dir}/${path}`

  group('identity and paths', () => {
    test('name is a non-empty string and contractVersion is 1', async () => {
      expect(typeof state.sandbox.name).toBe('string')
      expect(state.sandbox.name.length).toBeGreaterThan(0)
      expect(state.sandbox.contractVersion).toBe(1)
    })

    test('cwd is an absolute POSIX path', async () => {
      expect(state.sandbox.cwd.startsWith('/')).toBe(true)
      expect(state.sandbox.cwd.includes('\\')).toBe(false)
    })

    test('resolvePath resolves a relative path against cwd', async () => {
      const expected = state.sandbox.cwd === '/' ? '/a/b' : `${state.sandbox.cwd}/a/b`
      expect(state.sandbox.resolvePath('a/b')).toBe(expected)
    })

    test('resolvePath normalises absolute paths and two spellings give the same string', async () => {
      expect(state.sandbox.resolvePath('/x//y/./z/../w')).toBe('/x/y/w')
      expect(state.sandbox.resolvePath('a/./b/../c')).toBe(state.sandbox.resolvePath('a/c'))
      expect(state.sandbox.resolvePath(`${state.sandbox.cwd}/a/c`)).toBe(state.sandbox.resolvePath('a/c'))
    })

    test('file verbs accept relative and absolute paths alike', async () => {
      await state.sandbox.writeFile(p('rel.txt'), 'relative')
      expect(await state.sandbox.readFile(state.sandbox.resolvePath(p('rel.txt')))).toBe('relative')
      await state.sandbox.writeFile(state.sandbox.resolvePath(p('abs.txt')), 'absolute')
      expect(await state.sandbox.readFile(p('abs.txt'))).toBe('absolute')
    })
  })

  group('exec', () => {
    test('resolves stdout, stderr and exit code 0 for a successful command', async () => {
      const result = await state.sandbox.exec('echo out; echo err 1>&2')
      expect(result).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 0 })
    })

    test('resolves (does not reject) a command that exits non-zero', async () => {
      const result = await state.sandbox.exec('echo failing 1>&2; exit 3')
      expect(result.exitCode).toBe(3)
      expect(result.stderr).toBe('failing\n')
    })

    test('runs in cwd by default', async () => {
      const result = await state.sandbox.exec('pwd')
      expect(result.stdout.trim()).toBe(state.sandbox.cwd)
    })

    test('options.cwd: a relative directory resolves against cwd', async () => {
      const result = await state.sandbox.exec('pwd', { cwd: state.dir })
      expect(result.stdout.trim()).toBe(state.sandbox.resolvePath(state.dir))
    })

    test('options.cwd: an absolute directory is used as given', async () => {
      const result = await state.sandbox.exec('pwd', { cwd: state.sandbox.resolvePath(state.dir) })
      expect(result.stdout.trim()).toBe(state.sandbox.resolvePath(state.dir))
    })

    test('options.env is visible to the command and does not persist', async () => {
      const first = await state.sandbox.exec('echo "[$PYFLUE_CONTRACT_VAR]"', {
        env: { PYFLUE_CONTRACT_VAR: 'set' },
      })
      expect(first.stdout).toBe('[set]\n')
      const second = await state.sandbox.exec('echo "[$PYFLUE_CONTRACT_VAR]"')
      expect(second.stdout).toBe('[]\n')
    })

    test('an expired timeoutMs resolves with exit code 124', async () => {
      const result = await state.sandbox.exec('sleep 60; echo finished', { timeoutMs: 300 })
      expect(result.exitCode).toBe(124)
      expect(result.stdout).not.toContain('finished')
    })

    test('timeoutMs 0 and Infinity mean no deadline; a negative or NaN timeoutMs rejects with InvalidArgumentError', async () => {
      for (const timeoutMs of [0, Number.POSITIVE_INFINITY]) {
        const result = await state.sandbox.exec('sleep 0.2; echo finished', { timeoutMs })
        expect(result).toMatchObject({ stdout: 'finished\n', exitCode: 0 })
      }
      for (const timeoutMs of [-1, Number.NaN]) {
        const error = await expectPyFlueError(
          state.sandbox.exec(`touch ${p('should-not-exist')}`, { timeoutMs }),
          'INVALID_ARGUMENT',
        )
        expect(error.argument).toBe('timeoutMs')
      }
      expect(await state.sandbox.exists(p('should-not-exist'))).toBe(false)
    })

    test('an already-aborted signal rejects with AbortError before the command runs', async () => {
      const controller = new AbortController()
      controller.abort(new Error('stop'))
      await expectAbortError(
        state.sandbox.exec(`touch ${p('should-not-exist')}`, { signal: controller.signal }),
      )
      expect(await state.sandbox.exists(p('should-not-exist'))).toBe(false)
    })

    test('an abort during a command rejects with AbortError carrying the reason as cause', async () => {
      const controller = new AbortController()
      const reason = new Error('user pressed stop')
      const running = state.sandbox.exec('sleep 60', { signal: controller.signal })
      setTimeout(() => controller.abort(reason), 150)
      const error = await expectAbortError(running)
      expect((error as { cause?: unknown }).cause).toBe(reason)
    })
  })

  group('readFile and readFileBuffer', () => {
    test('readFile returns UTF-8 text', async () => {
      await state.sandbox.writeFile(p('text.txt'), 'héllo wörld ✓\nline 2')
      expect(await state.sandbox.readFile(p('text.txt'))).toBe('héllo wörld ✓\nline 2')
    })

    test('readFile of a missing path rejects with ENOENT', async () => {
      await expectRejectsWith(state.sandbox.readFile(p('missing.txt')), 'ENOENT')
    })

    test('readFile of a directory rejects with EISDIR', async () => {
      await expectRejectsWith(state.sandbox.readFile(state.dir), 'EISDIR')
    })

    test('readFileBuffer returns the raw bytes as a Uint8Array', async () => {
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
      await state.sandbox.writeFile(p('bytes.bin'), bytes)
      const read = await state.sandbox.readFileBuffer(p('bytes.bin'))
      expect(read).toBeInstanceOf(Uint8Array)
      expect(Array.from(read)).toEqual(Array.from(bytes))
    })

    test('readFileBuffer of a missing path rejects with ENOENT', async () => {
      await expectRejectsWith(state.sandbox.readFileBuffer(p('missing.bin')), 'ENOENT')
    })
  })

  group('writeFile', () => {
    test('creates a file and replaces an existing one', async () => {
      await state.sandbox.writeFile(p('w.txt'), 'first version, longer')
      await state.sandbox.writeFile(p('w.txt'), 'second')
      expect(await state.sandbox.readFile(p('w.txt'))).toBe('second')
    })

    test('creates missing parent directories', async () => {
      await state.sandbox.writeFile(p('deep/er/still/file.txt'), 'nested')
      expect(await state.sandbox.readFile(p('deep/er/still/file.txt'))).toBe('nested')
      expect((await state.sandbox.stat(p('deep/er'))).isDirectory).toBe(true)
    })

    test('writing over a directory rejects with EISDIR', async () => {
      await state.sandbox.mkdir(p('a-dir'))
      await expectRejectsWith(state.sandbox.writeFile(p('a-dir'), 'x'), 'EISDIR')
    })

    test('files written by writeFile are visible to exec, and files made by exec to readFile', async () => {
      await state.sandbox.writeFile(p('from-verb.txt'), 'verb')
      const cat = await state.sandbox.exec(`cat ${p('from-verb.txt')}`)
      expect(cat.stdout).toBe('verb')
      const made = await state.sandbox.exec(`printf shell > ${p('from-shell.txt')}`)
      expect(made.exitCode).toBe(0)
      expect(await state.sandbox.readFile(p('from-shell.txt'))).toBe('shell')
    })
  })

  group('stat', () => {
    test('describes a file; size and mtime are real when present', async () => {
      await state.sandbox.writeFile(p('s.txt'), 'four')
      const stat = await state.sandbox.stat(p('s.txt'))
      expect(stat.isFile).toBe(true)
      expect(stat.isDirectory).toBe(false)
      if (stat.size !== undefined) expect(stat.size).toBe(4)
      if (stat.mtime !== undefined) {
        expect(stat.mtime).toBeInstanceOf(Date)
        expect(Number.isNaN(stat.mtime.getTime())).toBe(false)
      }
    })

    test('describes a directory', async () => {
      const stat = await state.sandbox.stat(state.dir)
      expect(stat.isDirectory).toBe(true)
      expect(stat.isFile).toBe(false)
    })

    test('a missing path rejects with ENOENT', async () => {
      await expectRejectsWith(state.sandbox.stat(p('nope')), 'ENOENT')
    })
  })

  group('readdir', () => {
    test('returns entry names only, sorted, without . and ..', async () => {
      await state.sandbox.writeFile(p('list/b.txt'), 'b')
      await state.sandbox.writeFile(p('list/a.txt'), 'a')
      await state.sandbox.mkdir(p('list/c'))
      expect(await state.sandbox.readdir(p('list'))).toEqual(['a.txt', 'b.txt', 'c'])
    })

    test('a missing directory rejects with ENOENT', async () => {
      await expectRejectsWith(state.sandbox.readdir(p('no-such-dir')), 'ENOENT')
    })

    test('a file rejects with ENOTDIR', async () => {
      await state.sandbox.writeFile(p('plain.txt'), 'x')
      await expectRejectsWith(state.sandbox.readdir(p('plain.txt')), 'ENOTDIR')
    })
  })

  group('exists', () => {
    test('is true for a file and a directory', async () => {
      await state.sandbox.writeFile(p('e.txt'), 'x')
      expect(await state.sandbox.exists(p('e.txt'))).toBe(true)
      expect(await state.sandbox.exists(state.dir)).toBe(true)
    })

    test('is false for a missing path and never rejects, even for odd paths', async () => {
      await state.sandbox.writeFile(p('file.txt'), 'x')
      expect(await state.sandbox.exists(p('missing'))).toBe(false)
      expect(await state.sandbox.exists(p('file.txt/child'))).toBe(false)
      expect(await state.sandbox.exists(`${p('x')}\u0000y`)).toBe(false)
      expect(await state.sandbox.exists(`${p('')}${'long/'.repeat(2000)}end`)).toBe(false)
    })
  })

  group('mkdir', () => {
    test('creates one directory', async () => {
      await state.sandbox.mkdir(p('one'))
      expect((await state.sandbox.stat(p('one'))).isDirectory).toBe(true)
    })

    test('without recursive, an existing path rejects with EEXIST', async () => {
      await state.sandbox.mkdir(p('twice'))
      await expectRejectsWith(state.sandbox.mkdir(p('twice')), 'EEXIST')
    })

    test('without recursive, a missing parent rejects with ENOENT', async () => {
      await expectRejectsWith(state.sandbox.mkdir(p('no-parent/child')), 'ENOENT')
      expect(await state.sandbox.exists(p('no-parent'))).toBe(false)
    })

    test('recursive creates missing parents and accepts an existing directory', async () => {
      await state.sandbox.mkdir(p('r/s/t'), { recursive: true })
      expect((await state.sandbox.stat(p('r/s/t'))).isDirectory).toBe(true)
      await state.sandbox.mkdir(p('r/s/t'), { recursive: true })
      await state.sandbox.mkdir(p('r'), { recursive: true })
    })

    test('recursive rejects with EEXIST when a file is in the way', async () => {
      await state.sandbox.writeFile(p('in-the-way'), 'x')
      await expectRejectsWith(state.sandbox.mkdir(p('in-the-way'), { recursive: true }), 'EEXIST')
    })
  })

  group('rm (as Node fs.rm)', () => {
    test('removes a file', async () => {
      await state.sandbox.writeFile(p('gone.txt'), 'x')
      await state.sandbox.rm(p('gone.txt'))
      expect(await state.sandbox.exists(p('gone.txt'))).toBe(false)
    })

    test('a missing path rejects with ENOENT', async () => {
      await expectRejectsWith(state.sandbox.rm(p('never-was')), 'ENOENT')
    })

    test('force resolves on a missing path', async () => {
      await expect(state.sandbox.rm(p('never-was'), { force: true })).resolves.toBeUndefined()
    })

    test('a directory without recursive rejects with EISDIR and is kept, even with force', async () => {
      await state.sandbox.writeFile(p('keep/inner.txt'), 'x')
      await expectRejectsWith(state.sandbox.rm(p('keep')), 'EISDIR')
      await expectRejectsWith(state.sandbox.rm(p('keep'), { force: true }), 'EISDIR')
      expect(await state.sandbox.readFile(p('keep/inner.txt'))).toBe('x')
    })

    test('recursive removes a whole tree', async () => {
      await state.sandbox.writeFile(p('tree/a/b/c.txt'), 'x')
      await state.sandbox.writeFile(p('tree/d.txt'), 'y')
      await state.sandbox.rm(p('tree'), { recursive: true })
      expect(await state.sandbox.exists(p('tree'))).toBe(false)
      expect(await state.sandbox.exists(state.dir)).toBe(true)
    })
  })

  group('optional capabilities', () => {
    test('hostMounts, when present, show the same files on the host', async () => {
      if (!state.sandbox.hostMounts) {
        expect(state.sandbox.hostMounts).toBeUndefined()
        return
      }
      const target = state.sandbox.resolvePath(p('host-visible.txt'))
      await state.sandbox.writeFile(target, 'seen from the host')
      const mount = state.sandbox
        .hostMounts()
        .filter(
          (m) =>
            target === m.sandboxPath || target.startsWith(m.sandboxPath === '/' ? '/' : `${m.sandboxPath}/`),
        )
        .sort((a, b) => b.sandboxPath.length - a.sandboxPath.length)[0]
      expect(mount).toBeDefined()
      expect(['read-write', 'read-only']).toContain(mount!.mode)
      const hostPath = join(mount!.hostDir, target.slice(mount!.sandboxPath.length))
      expect(existsSync(hostPath)).toBe(true)
      expect(readFileSync(hostPath, 'utf8')).toBe('seen from the host')
    })

    test('hostMounts, when present, changes nothing: asking twice gives the same answer', async () => {
      if (!state.sandbox.hostMounts) return
      await state.sandbox.writeFile(p('a.txt'), 'x')
      const first = state.sandbox.hostMounts()
      expect(state.sandbox.hostMounts()).toEqual(first)
      expect(await state.sandbox.readdir(state.dir)).toEqual(['a.txt'])
    })

    test('openHostMounts, when present, resolves the mounts of hostMounts() and a release() that may be called twice', async () => {
      if (!state.sandbox.openHostMounts) {
        expect(state.sandbox.openHostMounts).toBeUndefined()
        return
      }
      expect(typeof state.sandbox.hostMounts).toBe('function')
      const expected = state.sandbox.hostMounts!()
      const lease = await state.sandbox.openHostMounts()
      expect(lease.mounts).toEqual(expected)
      await expect(lease.release()).resolves.toBeUndefined()
      await expect(lease.release()).resolves.toBeUndefined()
    })

    test('after close(), when present, exec and every file verb reject with ClosedError, exists is false, no mounts', async () => {
      if (!state.sandbox.close) return
      await state.sandbox.writeFile(p('a.txt'), 'x')
      await state.sandbox.rm(state.dir, { recursive: true, force: true })
      await state.sandbox.close()
      const sandbox = state.sandbox
      const verbs: [string, () => Promise<unknown>][] = [
        ['exec', () => sandbox.exec('echo hi')],
        ['readFile', () => sandbox.readFile(p('a.txt'))],
        ['readFileBuffer', () => sandbox.readFileBuffer(p('a.txt'))],
        ['writeFile', () => sandbox.writeFile(p('b.txt'), 'y')],
        ['stat', () => sandbox.stat(state.dir)],
        ['readdir', () => sandbox.readdir('/')],
        ['mkdir', () => sandbox.mkdir(p('d'))],
        ['rm', () => sandbox.rm(p('a.txt'), { force: true })],
      ]
      for (const [name, run] of verbs) {
        const error = await expectPyFlueError(run(), 'CLOSED')
        expect(error, name).toMatchObject({ code: 'CLOSED' })
      }
      expect(await sandbox.exists('/')).toBe(false)
      if (sandbox.hostMounts) expect(sandbox.hostMounts()).toEqual([])
      if (sandbox.openHostMounts) expect((await sandbox.openHostMounts()).mounts).toEqual([])
    })

    test('close, when present, can be called twice', async () => {
      if (!state.sandbox.close) {
        expect(state.sandbox.close).toBeUndefined()
        return
      }
      await state.sandbox.rm(state.dir, { recursive: true, force: true })
      await state.sandbox.close()
      await expect(state.sandbox.close()).resolves.toBeUndefined()
    })
  })
}
