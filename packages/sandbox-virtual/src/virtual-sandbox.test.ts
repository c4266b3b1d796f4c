import { existsSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import {
  ClosedError,
  defaultRegistry,
  InvalidArgumentError,
  PathRefusedError,
  SANDBOX_CONTRACT_VERSION,
  SandboxFileError,
} from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { createVirtualSandbox, virtualSandbox } from './index.js'
import { closingSandboxes } from './test-sandboxes.js'

const { make, track } = closingSandboxes()

async function fileError(promise: Promise<unknown>): Promise<SandboxFileError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(SandboxFileError)
  return error as SandboxFileError
}

describe('identity', () => {
  it('is named virtual and states contract version 1', async () => {
    const sandbox = await make()
    expect(sandbox.name).toBe('virtual')
    expect(sandbox.contractVersion).toBe(SANDBOX_CONTRACT_VERSION)
    expect(sandbox.contractVersion).toBe(1)
  })

  it('the factory is named virtual and the registry resolves it', async () => {
    const factory = virtualSandbox()
    expect(factory.name).toBe('virtual')
    const resolved = await defaultRegistry.resolveSandbox('virtual')
    expect(resolved.name).toBe('virtual')
    const sandbox = await resolved.createSandbox({ id: 'session-1' })
    track(sandbox)
    await sandbox.writeFile('x.txt', 'via registry')
    expect(await sandbox.readFile('/x.txt')).toBe('via registry')
  })
})

describe('paths', () => {
  it('cwd is absolute and defaults to /', async () => {
    expect((await make()).cwd).toBe('/')
    expect((await make({ cwd: 'work/dir' })).cwd).toBe('/work/dir')
  })

  it('a relative path resolves against cwd, for every verb', async () => {
    const sandbox = await make({ cwd: '/work' })
    await sandbox.writeFile('a.txt', 'A')
    expect(await sandbox.readFile('/work/a.txt')).toBe('A')
    expect(await sandbox.readdir('.')).toEqual(['a.txt'])
    expect(await sandbox.readdir('/')).toEqual(['work'])
    await sandbox.mkdir('sub')
    expect((await sandbox.stat('/work/sub')).isDirectory).toBe(true)
    expect(await sandbox.exists('a.txt')).toBe(true)
    await sandbox.rm('a.txt')
    expect(await sandbox.exists('/work/a.txt')).toBe(false)
  })

  it('resolvePath normalises without touching files; two spellings give one string', async () => {
    const sandbox = await make({ cwd: '/work' })
    expect(sandbox.resolvePath('a/./b//c/../d')).toBe('/work/a/b/d')
    expect(sandbox.resolvePath('/work/a/b/d')).toBe(sandbox.resolvePath('a/b/d/'))
    expect(sandbox.resolvePath('../../..')).toBe('/')
    expect(sandbox.resolvePath('.')).toBe('/work')
    expect(await sandbox.exists('/work/a')).toBe(false)
  })
})

describe('exec', () => {
  it('resolves with stdout, stderr and exit code, non-zero exits included', async () => {
    const sandbox = await make()
    expect(await sandbox.exec('echo hello')).toEqual({ stdout: 'hello\n', stderr: '', exitCode: 0 })
    const failed = await sandbox.exec('echo oops >&2; exit 3')
    expect(failed).toEqual({ stdout: '', stderr: 'oops\n', exitCode: 3 })
    const missing = await sandbox.exec('cat /nope.txt')
    expect(missing.exitCode).not.toBe(0)
    expect(missing.stderr).toContain('nope.txt')
  })

  it('runs pipes, redirects, variables and the usual tools over the workspace', async () => {
    const sandbox = await make()
    await sandbox.writeFile('data/a.csv', 'name,n\nb,2\na,1\nc,3\n')
    const result = await sandbox.exec(
      'tail -n +2 data/a.csv | sort | cut -d, -f2 | awk \'{s+=$1} END {print s}\' > sum.txt; N=$(cat sum.txt); echo "sum=$N"',
    )
    expect(result).toEqual({ stdout: 'sum=6\n', stderr: '', exitCode: 0 })
    expect(await sandbox.readFile('sum.txt')).toBe('6\n')
    const json = await sandbox.exec(`echo '{"a":[1,2,3]}' | jq '.a | length'`)
    expect(json.stdout).toBe('3\n')
    expect((await sandbox.exec('grep -c , data/a.csv')).stdout).toBe('4\n')
    expect((await sandbox.exec("sed 's/b/B/' data/a.csv | head -2 | tail -1")).stdout).toBe('B,2\n')
    expect((await sandbox.exec('wc -l < data/a.csv')).stdout.trim()).toBe('4')
  })

  it('files the shell writes are visible to the file verbs and the other way round', async () => {
    const sandbox = await make()
    await sandbox.exec('mkdir -p out && printf "x%.0s" 1 2 3 > out/x.txt')
    expect(await sandbox.readFile('out/x.txt')).toBe('xxx')
    await sandbox.writeFile('in.txt', 'from the session')
    expect((await sandbox.exec('cat in.txt')).stdout).toBe('from the session')
  })

  it('honours cwd (relative to Sandbox.cwd) and env for one command only', async () => {
    const sandbox = await make({ cwd: '/work', env: { BASE: 'base' } })
    await sandbox.mkdir('/work/sub/deeper', { recursive: true })
    expect((await sandbox.exec('pwd')).stdout).toBe('/work\n')
    expect((await sandbox.exec('pwd', { cwd: 'sub/deeper' })).stdout).toBe('/work/sub/deeper\n')
    expect((await sandbox.exec('pwd', { cwd: '/work/sub' })).stdout).toBe('/work/sub\n')
    expect((await sandbox.exec('echo "$BASE $EXTRA"', { env: { EXTRA: 'extra' } })).stdout).toBe(
      'base extra\n',
    )
    expect((await sandbox.exec('echo "[$EXTRA]"')).stdout).toBe('[]\n')
    expect((await sandbox.exec('echo "$BASE"', { env: { BASE: 'over' } })).stdout).toBe('over\n')
  })

  it('state does not leak between commands, files do', async () => {
    const sandbox = await make()
    await sandbox.exec('export X=1; cd /tmp 2>/dev/null; echo kept > kept.txt')
    expect((await sandbox.exec('echo "[$X]"; pwd')).stdout).toBe('[]\n/\n')
    expect(await sandbox.readFile('/kept.txt')).toBe('kept\n')
  })

  it('find, du and globs work from the workspace root', async () => {
    const sandbox = await make({ files: { 'a/x.txt': 'x', 'b.txt': 'bb' } })
    expect((await sandbox.exec('find / -type f | sort')).stdout).toBe('/a/x.txt\n/b.txt\n')
    expect((await sandbox.exec('cd / && find . -name "*.txt" | sort')).stdout).toBe('./a/x.txt\n./b.txt\n')
    expect((await sandbox.exec('echo /*')).stdout).toBe('/a /b.txt\n')
    expect((await sandbox.exec('du -a / | wc -l')).exitCode).toBe(0)
  })

  it('commands run concurrently without sharing shell state', async () => {
    const sandbox = await make()
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => sandbox.exec(`X=${n}; sleep 0.05; echo $X > out${n}.txt; echo $X`)),
    )
    expect(results.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n', '4\n'])
    expect(await sandbox.readdir('/')).toEqual(['out1.txt', 'out2.txt', 'out3.txt', 'out4.txt'])
  })

  it('concurrent commands that write many files all finish (with and without limits)', async () => {
    for (const options of [{}, { maxFileCount: 1000, maxTotalBytes: 100_000 }]) {
      const sandbox = await make(options)
      const writers = [1, 2, 3, 4].map((n) =>
        sandbox.exec(
          `mkdir d${n}; for i in $(seq 1 25); do echo $i > d${n}/f$i; echo $i >> d${n}/all; done; ls d${n} | wc -l`,
        ),
      )
      const verbs = [1, 2, 3].map((n) => sandbox.writeFile(`verb${n}/x.txt`, String(n)))
      const results = await Promise.all(writers)
      await Promise.all(verbs)
      expect(results.map((r) => r.stdout.trim())).toEqual(['26', '26', '26', '26'])
      expect((await sandbox.readFile('d3/all')).split('\n').length).toBe(26)
    }
  }, 240_000) // 200 shell writes through the worker pool: generous, so a loaded machine cannot time it out

  it('a missing cwd resolves with exit code 1 and runs nothing', async () => {
    const sandbox = await make()
    const result = await sandbox.exec('echo ran > ran.txt', { cwd: '/missing' })
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('/missing')
    expect(await sandbox.exists('/missing/ran.txt')).toBe(false)
    expect(await sandbox.exists('/ran.txt')).toBe(false)
  })

  it('timeoutMs expiry resolves with exit code 124 and a note on stderr', async () => {
    const sandbox = await make()
    const result = await sandbox.exec('echo started; sleep 30; echo never', { timeoutMs: 200 })
    expect(result.exitCode).toBe(124)
    expect(result.stderr).toContain('timed out after 200 ms')
    expect(result.stdout).not.toContain('never')
    const loop = await sandbox.exec('i=0; while true; do i=$((i+1)); sleep 0.01; done', { timeoutMs: 150 })
    expect(loop.exitCode).toBe(124)
    expect((await sandbox.exec('echo after')).stdout).toBe('after\n')
  })

  it('timeoutMs also ends a busy loop that never waits (which blocks timers), not only the command limit', async () => {
    const sandbox = await make()
    // Without a deadline inside the interpreter this loop would run until just-bash's command
    // count limit (exit 126); with it, it ends at the deadline with 124.
    const loop = await sandbox.exec('i=0; while true; do i=$((i+1)); done', { timeoutMs: 200 })
    expect(loop.exitCode).toBe(124)
    expect(loop.stderr).toContain('timed out after 200 ms')
    expect((await sandbox.exec('echo after')).stdout).toBe('after\n')
  })

  it('a command that finishes before its timeout keeps its own exit code', async () => {
    const sandbox = await make()
    expect(await sandbox.exec('exit 2', { timeoutMs: 10_000 })).toEqual({
      stdout: '',
      stderr: '',
      exitCode: 2,
    })
  })

  it('an abort rejects promptly with an AbortError whose cause is the reason', async () => {
    const sandbox = await make()
    const controller = new AbortController()
    const reason = new Error('stop now')
    const pending = sandbox.exec('sleep 30; echo late > late.txt', { signal: controller.signal })
    setTimeout(() => controller.abort(reason), 50)
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(DOMException)
    expect((error as DOMException).name).toBe('AbortError')
    expect((error as { cause?: unknown }).cause).toBe(reason)
    await new Promise((r) => setTimeout(r, 100))
    expect(await sandbox.exists('late.txt')).toBe(false)
  })

  it('an already-aborted signal rejects before the command starts', async () => {
    const sandbox = await make()
    const error = await sandbox.exec('echo ran > ran.txt', { signal: AbortSignal.abort('no') }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect((error as DOMException).name).toBe('AbortError')
    expect((error as { cause?: unknown }).cause).toBe('no')
    expect(await sandbox.exists('ran.txt')).toBe(false)
  })

  it('bad arguments are InvalidArgumentError', async () => {
    const sandbox = await make()
    await expect(sandbox.exec(42 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(sandbox.exec('true', { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(
      sandbox.exec('true', { env: { 'BAD-NAME': 'x' } as Record<string, string> }),
    ).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('a failed redirect resolves with a non-zero exit instead of rejecting', async () => {
    const sandbox = await make()
    await sandbox.mkdir('dir')
    const result = await sandbox.exec('echo x > dir')
    expect(result.exitCode).not.toBe(0)
    expect(result.stderr).toContain('dir')
  })
})

describe('file verbs', () => {
  it('readFile resolves UTF-8 text; ENOENT if missing, EISDIR for a directory', async () => {
    const sandbox = await make()
    await sandbox.writeFile('t.txt', 'héllo ✓')
    expect(await sandbox.readFile('t.txt')).toBe('héllo ✓')
    expect((await fileError(sandbox.readFile('missing.txt'))).errno).toBe('ENOENT')
    await sandbox.mkdir('d')
    const isDir = await fileError(sandbox.readFile('d'))
    expect(isDir.errno).toBe('EISDIR')
    expect(isDir.path).toBe('/d')
    expect(isDir.operation).toBe('readFile')
  })

  it('readFileBuffer resolves raw bytes as a Uint8Array; same errors', async () => {
    const sandbox = await make()
    const bytes = new Uint8Array([0, 1, 2, 254, 255])
    await sandbox.writeFile('b.bin', bytes)
    const read = await sandbox.readFileBuffer('b.bin')
    expect(read).toBeInstanceOf(Uint8Array)
    expect(Array.from(read)).toEqual([0, 1, 2, 254, 255])
    expect((await fileError(sandbox.readFileBuffer('nope'))).errno).toBe('ENOENT')
    await sandbox.mkdir('d')
    expect((await fileError(sandbox.readFileBuffer('d'))).errno).toBe('EISDIR')
  })

  it('writeFile creates or replaces, creating missing parents; EISDIR on a directory', async () => {
    const sandbox = await make()
    await sandbox.writeFile('a/b/c/d.txt', 'one')
    expect(await sandbox.readFile('/a/b/c/d.txt')).toBe('one')
    await sandbox.writeFile('a/b/c/d.txt', 'two')
    expect(await sandbox.readFile('/a/b/c/d.txt')).toBe('two')
    expect((await fileError(sandbox.writeFile('a/b', 'x'))).errno).toBe('EISDIR')
    expect((await fileError(sandbox.writeFile('/', 'x'))).errno).toBe('EISDIR')
    expect((await sandbox.stat('a/b')).isDirectory).toBe(true)
    await expect(sandbox.writeFile('x', 42 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('stat resolves a FileStat; ENOENT if missing', async () => {
    const sandbox = await make()
    await sandbox.writeFile('f.txt', '12345')
    const file = await sandbox.stat('f.txt')
    expect(file).toMatchObject({ isFile: true, isDirectory: false, isSymbolicLink: false, size: 5 })
    expect(file.mtime).toBeInstanceOf(Date)
    expect(Math.abs(file.mtime!.getTime() - Date.now())).toBeLessThan(60_000)
    const dir = await sandbox.stat('/')
    expect(dir).toMatchObject({ isFile: false, isDirectory: true, isSymbolicLink: false })
    expect((await fileError(sandbox.stat('nope'))).errno).toBe('ENOENT')
  })

  it('the workspace never holds a link: ln -s fails, and a planted link is refused by stat', async () => {
    const sandbox = await make()
    await sandbox.writeFile('target.txt', 'abc')
    const made = await sandbox.exec('ln -s target.txt link.txt; mkdir real; ln -s real dirlink; echo done')
    expect(made.stdout).toBe('done\n')
    expect(made.stderr).toMatch(/^ln: /m)
    expect(await sandbox.readdir('/')).toEqual(['real', 'target.txt'])
    symlinkSync('target.txt', join(sandbox.hostMounts!()[0]!.hostDir, 'planted'))
    expect(await sandbox.stat('planted').catch((e: unknown) => e)).toBeInstanceOf(PathRefusedError)
    expect(await sandbox.exists('planted')).toBe(false)
  })

  it('readdir resolves sorted names without . or ..; ENOENT if missing, ENOTDIR for a file', async () => {
    const sandbox = await make()
    for (const name of ['b.txt', 'a.txt', 'C.txt', 'sub/x']) await sandbox.writeFile(`d/${name}`, '')
    expect(await sandbox.readdir('d')).toEqual(['C.txt', 'a.txt', 'b.txt', 'sub'])
    expect(await sandbox.readdir('/')).toEqual(['d'])
    expect((await fileError(sandbox.readdir('nope'))).errno).toBe('ENOENT')
    expect((await fileError(sandbox.readdir('d/a.txt'))).errno).toBe('ENOTDIR')
  })

  it('exists is true for files and directories, false otherwise, and never rejects', async () => {
    const sandbox = await make()
    await sandbox.writeFile('f', 'x')
    await sandbox.mkdir('d')
    expect(await sandbox.exists('f')).toBe(true)
    expect(await sandbox.exists('d')).toBe(true)
    expect(await sandbox.exists('/')).toBe(true)
    expect(await sandbox.exists('nope')).toBe(false)
    expect(await sandbox.exists('f/inside')).toBe(false)
    expect(await sandbox.exists('bad\0path')).toBe(false)
    expect(await sandbox.exists(`/${'x'.repeat(5000)}`)).toBe(false)
    expect(await sandbox.exists(undefined as unknown as string)).toBe(false)
  })

  it('mkdir creates one directory: EEXIST if it exists, ENOENT if the parent is missing', async () => {
    const sandbox = await make()
    await sandbox.mkdir('one')
    expect((await sandbox.stat('one')).isDirectory).toBe(true)
    expect((await fileError(sandbox.mkdir('one'))).errno).toBe('EEXIST')
    expect((await fileError(sandbox.mkdir('missing/child'))).errno).toBe('ENOENT')
    await sandbox.writeFile('file', 'x')
    expect((await fileError(sandbox.mkdir('file'))).errno).toBe('EEXIST')
  })

  it('mkdir recursive creates parents, succeeds on a directory, EEXIST when a file is in the way', async () => {
    const sandbox = await make()
    await sandbox.mkdir('a/b/c', { recursive: true })
    expect((await sandbox.stat('a/b/c')).isDirectory).toBe(true)
    await sandbox.mkdir('a/b/c', { recursive: true })
    await sandbox.mkdir('/', { recursive: true })
    await sandbox.writeFile('a/file', 'x')
    expect((await fileError(sandbox.mkdir('a/file', { recursive: true }))).errno).toBe('EEXIST')
    expect((await fileError(sandbox.mkdir('a/file/below', { recursive: true }))).errno).toBe('EEXIST')
  })

  it('rm behaves as fs.rm: ENOENT unless force, EISDIR without recursive (even with force)', async () => {
    const sandbox = await make()
    expect((await fileError(sandbox.rm('nope'))).errno).toBe('ENOENT')
    await sandbox.rm('nope', { force: true })
    await sandbox.writeFile('d/e/f.txt', 'x')
    expect((await fileError(sandbox.rm('d'))).errno).toBe('EISDIR')
    expect((await fileError(sandbox.rm('d', { force: true }))).errno).toBe('EISDIR')
    expect(await sandbox.exists('d/e/f.txt')).toBe(true)
    await sandbox.rm('d/e/f.txt')
    expect(await sandbox.exists('d/e/f.txt')).toBe(false)
    await sandbox.rm('d', { recursive: true })
    expect(await sandbox.exists('d')).toBe(false)
  })

  it("rm('/', recursive) empties the workspace and keeps the root", async () => {
    const sandbox = await make()
    await sandbox.writeFile('a/b.txt', 'x')
    await sandbox.writeFile('c.txt', 'x')
    expect((await fileError(sandbox.rm('/'))).errno).toBe('EISDIR')
    await sandbox.rm('/', { recursive: true })
    expect(await sandbox.readdir('/')).toEqual([])
    await sandbox.writeFile('again.txt', 'still works')
    expect(await sandbox.readFile('again.txt')).toBe('still works')
  })

  it('rm of a planted symlink removes the link, not the target', async () => {
    const sandbox = await make()
    await sandbox.writeFile('keep/t.txt', 'x')
    symlinkSync('keep', join(sandbox.hostMounts!()[0]!.hostDir, 'linkdir'))
    await sandbox.rm('linkdir', { recursive: true })
    expect(await sandbox.exists('linkdir')).toBe(false)
    expect(await sandbox.readFile('keep/t.txt')).toBe('x')
  })
})

describe('hostMounts and close', () => {
  it('hostMounts shows the workspace root as / read-write', async () => {
    const sandbox = await make()
    const mounts = sandbox.hostMounts!()
    expect(mounts).toHaveLength(1)
    expect(mounts[0]!.sandboxPath).toBe('/')
    expect(mounts[0]!.mode).toBe('read-write')
    expect(existsSync(mounts[0]!.hostDir)).toBe(true)
  })

  it('close deletes the files; closing twice is a no-op; a closed sandbox refuses use', async () => {
    const sandbox = await createVirtualSandbox({ files: { 'a.txt': 'x' } })
    const { hostDir } = sandbox.hostMounts!()[0]!
    expect(existsSync(`${hostDir}/a.txt`)).toBe(true)
    await sandbox.close!()
    await sandbox.close!()
    expect(existsSync(hostDir)).toBe(false)
    expect(sandbox.hostMounts!()).toEqual([])
    await expect(sandbox.readFile('a.txt')).rejects.toBeInstanceOf(ClosedError)
    await expect(sandbox.exec('echo')).rejects.toBeInstanceOf(ClosedError)
    await expect(sandbox.writeFile('b.txt', 'x')).rejects.toBeInstanceOf(ClosedError)
    expect(await sandbox.exists('a.txt')).toBe(false)
  })

  it('close stops a running command, which rejects with ClosedError', async () => {
    const sandbox = await createVirtualSandbox()
    const pending = sandbox.exec('sleep 30')
    await new Promise((r) => setTimeout(r, 30))
    await sandbox.close!()
    await expect(pending).rejects.toBeInstanceOf(ClosedError)
  })
})

describe('options', () => {
  it('seeds files (text and bytes, relative to cwd) before the sandbox is handed out', async () => {
    const sandbox = await make({
      cwd: '/project',
      files: { 'data/a.csv': 'x,y\n1,2\n', '/abs/raw.bin': new Uint8Array([1, 2, 3]) },
    })
    expect(await sandbox.readFile('/project/data/a.csv')).toBe('x,y\n1,2\n')
    expect(Array.from(await sandbox.readFileBuffer('/abs/raw.bin'))).toEqual([1, 2, 3])
    expect((await sandbox.exec('cat data/a.csv | wc -l')).stdout.trim()).toBe('2')
  })

  it('invalid options are InvalidArgumentError naming the option', async () => {
    const bad: [string, unknown][] = [
      ['files', { files: { 'a.txt': 42 } }],
      ['cwd', { cwd: '' }],
      ['env', { env: { A: 1 } }],
      ['network', { network: { allowedUrlPrefixes: [] } }],
      ['network', { network: { allowedUrlPrefixes: ['example.com'] } }],
      ['maxTotalBytes', { maxTotalBytes: -1 }],
      ['maxFileCount', { maxFileCount: 1.5 }],
      ['python', { python: 'yes' }],
    ]
    for (const [argument, options] of bad) {
      const error = await createVirtualSandbox(options as never).then(
        (s) => s.close?.(),
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect((error as InvalidArgumentError).argument).toBe(argument)
    }
    expect(() => virtualSandbox({ maxFileCount: -3 })).toThrow(InvalidArgumentError)
  })

  it('a seed path that is refused fails creation with PathRefusedError', async () => {
    await expect(createVirtualSandbox({ files: { [`${'a'.repeat(300)}.txt`]: 'x' } })).rejects.toBeInstanceOf(
      PathRefusedError,
    )
  })

  it('an aborted creation signal rejects with AbortError', async () => {
    const error = await virtualSandbox()
      .createSandbox({ id: 's', signal: AbortSignal.abort() })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect((error as DOMException).name).toBe('AbortError')
  })

  it('just-bash python3 is off unless python: true', async () => {
    const sandbox = await make()
    const result = await sandbox.exec('python3 -c "print(1)"')
    expect(result.exitCode).toBe(127)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('python3')
  })

  it('python: true enables python3 over the same workspace, without host files, env or processes', async () => {
    process.env.PYFLUE_PY_PROBE = 'leaked'
    try {
      const sandbox = await make({ python: true, files: { 'data.txt': 'seeded' } })
      const script = [
        'import os',
        "print(open('/data.txt').read())",
        "print(os.environ.get('PYFLUE_PY_PROBE'))",
        "open('/from-py3.txt', 'w').write('py3')",
      ].join('; ')
      const result = await sandbox.exec(`python3 -c "${script}"`)
      expect(result).toMatchObject({ stdout: 'seeded\nNone\n', exitCode: 0 })
      expect(await sandbox.readFile('from-py3.txt')).toBe('py3')
      const host = await sandbox.exec(`python3 -c "print(open('/etc/hostname').read())"`)
      expect(host.exitCode).not.toBe(0)
      const spawn = await sandbox.exec(`python3 -c "import subprocess; subprocess.run(['ls'])"`)
      expect(spawn.exitCode).not.toBe(0)
    } finally {
      delete process.env.PYFLUE_PY_PROBE
    }
  })
})
