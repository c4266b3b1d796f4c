import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Monty, MountDir } from '@pydantic/monty'
import type { Sandbox } from '@pyflue/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closingSandboxes } from './test-sandboxes.js'

/**
 * The file bridge as backend-monty uses it: every `hostMounts()` entry becomes a `MountDir`
 * at its `sandboxPath`, in its `mode`. No copy is made in either direction.
 */
function runPython(sandbox: Sandbox, code: string): unknown {
  const mount = sandbox.hostMounts!().map((m) => new MountDir(m.sandboxPath, m.hostDir, { mode: m.mode }))
  return new Monty(code).run({ mount })
}

function pythonError(sandbox: Sandbox, code: string): string {
  try {
    runPython(sandbox, code)
  } catch (error) {
    return String((error as Error).message)
  }
  throw new Error('expected Python to raise')
}

const { make } = closingSandboxes()

let outside: string
beforeAll(() => {
  outside = mkdtempSync(join(tmpdir(), 'pyflue-monty-target-'))
  writeFileSync(join(outside, 'secret.txt'), 'host-secret')
})
afterAll(() => rmSync(outside, { recursive: true, force: true }))

describe('session → Python', () => {
  it('the seed example: Python reads what the session wrote at /', async () => {
    const session = await make()
    await session.writeFile('data.txt', 'hello')
    expect(runPython(session, "from pathlib import Path\nPath('/data.txt').read_text()")).toBe('hello')
  })

  it('read_bytes, open(), iterdir, exists and is_dir see the session files', async () => {
    const session = await make({ files: { 'data/a.csv': 'x,y\n1,2\n' } })
    await session.writeFile('bin/raw.bin', new Uint8Array([0, 7, 255]))
    await session.exec('mkdir -p from-shell && echo shell > from-shell/s.txt')
    const bytes = runPython(session, "from pathlib import Path\nPath('/bin/raw.bin').read_bytes()")
    expect(Array.from(bytes as Uint8Array)).toEqual([0, 7, 255])
    expect(runPython(session, "f = open('/data/a.csv')\ntext = f.read()\nf.close()\ntext")).toBe('x,y\n1,2\n')
    expect(runPython(session, "with open('/from-shell/s.txt') as f:\n    t = f.read()\nt")).toBe('shell\n')
    const names = runPython(
      session,
      "from pathlib import Path\nsorted([p.name for p in Path('/').iterdir()])",
    )
    expect(names).toEqual(['bin', 'data', 'from-shell'])
    expect(
      runPython(
        session,
        "from pathlib import Path\n[Path('/data/a.csv').exists(), Path('/nope').exists(), Path('/data').is_dir()]",
      ),
    ).toEqual([true, false, true])
    expect(
      runPython(
        session,
        "from pathlib import Path\n[Path('/data/a.csv').stat().st_size, Path('/data/a.csv').is_file()]",
      ),
    ).toEqual([8, true])
  })

  it("Python's relative paths resolve against / (the workspace root), whatever Sandbox.cwd is", async () => {
    const session = await make({ cwd: '/work' })
    await session.writeFile('here.txt', 'in cwd')
    await session.writeFile('/top.txt', 'at root')
    expect(runPython(session, "from pathlib import Path\nPath('top.txt').read_text()")).toBe('at root')
    expect(runPython(session, "from pathlib import Path\nPath('work/here.txt').read_text()")).toBe('in cwd')
  })
})

describe('Python → session', () => {
  it('files Python writes are visible to readFile, exec and the next run', async () => {
    const session = await make()
    runPython(session, "from pathlib import Path\nPath('/out.txt').write_text('from python')")
    expect(await session.readFile('out.txt')).toBe('from python')
    expect((await session.exec('cat /out.txt')).stdout).toBe('from python')
    expect(runPython(session, "from pathlib import Path\nPath('/out.txt').read_text()")).toBe('from python')
  })

  it('directories Python makes, and files in them, are visible to every verb', async () => {
    const session = await make()
    runPython(
      session,
      [
        'from pathlib import Path',
        "Path('/reports/2026/q1').mkdir(parents=True)",
        "Path('/reports/2026/q1/sum.json').write_text('{\"total\": 3}')",
        "with open('/reports/raw.bin', 'wb') as f:",
        "    f.write(b'\\x00\\x01')",
      ].join('\n'),
    )
    expect(await session.readdir('/reports')).toEqual(['2026', 'raw.bin'])
    expect((await session.stat('/reports/2026/q1')).isDirectory).toBe(true)
    expect(Array.from(await session.readFileBuffer('/reports/raw.bin'))).toEqual([0, 1])
    expect((await session.exec('jq .total reports/2026/q1/sum.json')).stdout).toBe('3\n')
    expect((await session.exec('find /reports -type f | sort')).stdout).toBe(
      '/reports/2026/q1/sum.json\n/reports/raw.bin\n',
    )
  })

  it('Python can rename and delete session files', async () => {
    const session = await make({ files: { 'a.txt': 'a', 'b.txt': 'b' } })
    runPython(session, "from pathlib import Path\nPath('/a.txt').rename('/c.txt')\nPath('/b.txt').unlink()")
    expect(await session.readdir('/')).toEqual(['c.txt'])
  })
})

describe('Python cannot leave the workspace', () => {
  it('.., absolute host paths and planted links are refused or stay inside', async () => {
    const session = await make()
    const root = session.hostMounts!()[0]!.hostDir
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link'))
    symlinkSync(outside, join(root, 'dirlink'))
    const attempts = [
      `Path('/../../../../${outside.slice(1)}/secret.txt').read_text()`,
      `Path('${outside}/secret.txt').read_text()`,
      "Path('/link').read_text()",
      "Path('/dirlink/secret.txt').read_text()",
      "Path('/dirlink/new.txt').write_text('x')",
      "Path('/link').write_text('x')",
    ]
    for (const attempt of attempts) {
      const message = pythonError(session, `from pathlib import Path\n${attempt}`)
      expect(message).toMatch(/PermissionError|FileNotFoundError/)
      expect(message).not.toContain('host-secret')
    }
  })

  it('the shell makes no links, so Python finds none to follow', async () => {
    const session = await make({ files: { 'real.txt': 'real' } })
    const made = await session.exec(`ln -s real.txt ok-link; ln -s ${outside}/secret.txt out-link`)
    expect(made.stderr).toMatch(/^ln: /m)
    expect(await session.readdir('/')).toEqual(['real.txt'])
    const message = pythonError(session, "from pathlib import Path\nPath('/out-link').read_text()")
    expect(message).not.toContain('host-secret')
    expect(message).toMatch(/FileNotFoundError|No such file/)
  })

  it('a read-only policy makes the mount read-only for Python', async () => {
    const session = await make({ files: { 'in.txt': 'seeded' }, policy: { allowWrite: false } })
    expect(session.hostMounts!()[0]!.mode).toBe('read-only')
    expect(runPython(session, "from pathlib import Path\nPath('/in.txt').read_text()")).toBe('seeded')
    const message = pythonError(session, "from pathlib import Path\nPath('/new.txt').write_text('x')")
    expect(message).toContain('Read-only file system')
    expect(await session.exists('new.txt')).toBe(false)
  })
})
