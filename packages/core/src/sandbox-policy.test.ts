import { describe, expect, it } from 'vitest'
import { CommandRefusedError, WriteRefusedError } from './errors/sandbox-errors.js'
import type { Sandbox } from './sandbox.js'
import {
  checkCommand,
  combineSandboxPolicies,
  getSandboxPolicy,
  type ResolvedSandboxPolicy,
  resolveSandboxPolicy,
  withSandboxPolicy,
} from './sandbox-policy.js'

/** A sandbox that records what reached it; every verb does real (in-memory) work. */
function recordingSandbox() {
  const files = new Map<string, string>()
  const calls: string[] = []
  const sandbox: Sandbox = {
    name: 'recording',
    contractVersion: 1,
    cwd: '/work',
    resolvePath: (p) => (p.startsWith('/') ? p : `/work/${p}`),
    async exec(command) {
      calls.push(`exec ${command}`)
      return { stdout: `ran ${command}`, stderr: '', exitCode: 0 }
    },
    async readFile(p) {
      calls.push(`readFile ${p}`)
      return files.get(p) ?? ''
    },
    async readFileBuffer(p) {
      return new TextEncoder().encode(files.get(p) ?? '')
    },
    async writeFile(p, c) {
      calls.push(`writeFile ${p}`)
      files.set(p, String(c))
    },
    async stat() {
      return { isFile: true, isDirectory: false }
    },
    async readdir() {
      return [...files.keys()]
    },
    async exists(p) {
      return files.has(p)
    },
    async mkdir(p) {
      calls.push(`mkdir ${p}`)
    },
    async rm(p) {
      calls.push(`rm ${p}`)
      files.delete(p)
    },
    hostMounts: () => [{ sandboxPath: '/', hostDir: '/tmp/x', mode: 'read-write' }],
    openHostMounts: async () => ({
      mounts: [{ sandboxPath: '/', hostDir: '/tmp/x', mode: 'read-write', writeBytesLimit: 10 }],
      release: async () => {
        calls.push('release')
      },
    }),
  }
  return { sandbox, calls, files }
}

describe('resolveSandboxPolicy', () => {
  it('allows everything by default', () => {
    expect(resolveSandboxPolicy()).toEqual({
      allowWrite: true,
      allowShell: true,
      allowedCommands: undefined,
      blockCompoundCommands: false,
    })
  })

  it('blocks compound commands by default once an allowlist is given', () => {
    expect(resolveSandboxPolicy({ allowedCommands: ['ls'] }).blockCompoundCommands).toBe(true)
    expect(
      resolveSandboxPolicy({ allowedCommands: ['ls'], blockCompoundCommands: false }).blockCompoundCommands,
    ).toBe(false)
  })
})

describe('checkCommand', () => {
  it('refuses every command when the shell is off', () => {
    expect(checkCommand({ allowShell: false }, 'ls')).toMatchObject({
      code: 'COMMAND_REFUSED',
      reason: 'shell-disabled',
    })
  })

  it('lets anything through with the default policy', () => {
    expect(checkCommand({}, 'ls; rm -rf x && echo $(date) > out')).toBeUndefined()
  })

  it('refuses a command word not in the allowlist and names it', () => {
    const refusal = checkCommand({ allowedCommands: ['ls', 'cat'] }, 'rm -rf data')
    expect(refusal).toBeInstanceOf(CommandRefusedError)
    expect(refusal).toMatchObject({ reason: 'not-allowed', commandName: 'rm' })
    expect(refusal!.message).toContain("'rm'")
  })

  it('allows listed commands, with assignments and quoted arguments', () => {
    expect(checkCommand({ allowedCommands: ['grep'] }, 'LC_ALL=C grep -e "x; y" file.txt')).toBeUndefined()
  })

  it.each(['ls; rm x', 'ls && rm x', 'ls | rm', 'ls\nrm x', '(ls)', 'ls &'])(
    'refuses the compound %j when an allowlist is set',
    (command) => {
      expect(checkCommand({ allowedCommands: ['ls', 'rm'] }, command)).toMatchObject({ reason: 'compound' })
    },
  )

  it('checks every command of a compound line when compounds are allowed', () => {
    const rules = { allowedCommands: ['cat', 'wc'], blockCompoundCommands: false }
    expect(checkCommand(rules, 'cat a | wc -l')).toBeUndefined()
    expect(checkCommand(rules, 'cat a | rm b')).toMatchObject({ reason: 'not-allowed', commandName: 'rm' })
  })

  it.each(['echo $(rm x)', 'echo `rm x`', 'cat <(rm x)', 'echo "$(rm x)"'])(
    'refuses command substitution %j when an allowlist is set',
    (command) => {
      expect(checkCommand({ allowedCommands: ['echo', 'cat'] }, command)).toMatchObject({
        reason: 'substitution',
      })
    },
  )

  it('refuses a line it cannot read (an open quote) when strict', () => {
    expect(checkCommand({ allowedCommands: ['echo'] }, 'echo "open')).toMatchObject({ reason: 'compound' })
  })

  it('blocks compound commands on their own with blockCompoundCommands', () => {
    expect(checkCommand({ blockCompoundCommands: true }, 'ls; ls')).toMatchObject({ reason: 'compound' })
    expect(checkCommand({ blockCompoundCommands: true }, 'ls -la')).toBeUndefined()
  })

  it('refuses writing redirections when writes are off, but not /dev/null or descriptor copies', () => {
    expect(checkCommand({ allowWrite: false }, 'echo x > f')).toMatchObject({ reason: 'write-redirect' })
    expect(checkCommand({ allowWrite: false }, 'echo x >> f')).toMatchObject({ reason: 'write-redirect' })
    expect(checkCommand({ allowWrite: false }, 'ls 2>/dev/null')).toBeUndefined()
    expect(checkCommand({ allowWrite: false }, 'ls 2>&1')).toBeUndefined()
  })
})

describe('withSandboxPolicy', () => {
  it('refuses a refused command before the sandbox sees it', async () => {
    const { sandbox, calls } = recordingSandbox()
    const guarded = withSandboxPolicy(sandbox, { allowedCommands: ['ls'] })
    await expect(guarded.exec('rm -rf /')).rejects.toBeInstanceOf(CommandRefusedError)
    expect(calls).toEqual([])
    await expect(guarded.exec('ls')).resolves.toMatchObject({ stdout: 'ran ls' })
    expect(calls).toEqual(['exec ls'])
  })

  it('refuses writes with WriteRefusedError naming the resolved path, and lets reads through', async () => {
    const { sandbox, calls, files } = recordingSandbox()
    files.set('/work/a.txt', 'content')
    const guarded = withSandboxPolicy(sandbox, { allowWrite: false })
    await expect(guarded.writeFile('b.txt', 'x')).rejects.toMatchObject({
      code: 'WRITE_REFUSED',
      operation: 'writeFile',
      path: '/work/b.txt',
    })
    await expect(guarded.mkdir('d')).rejects.toBeInstanceOf(WriteRefusedError)
    await expect(guarded.rm('a.txt')).rejects.toBeInstanceOf(WriteRefusedError)
    expect(await guarded.readFile('/work/a.txt')).toBe('content')
    expect(calls).toEqual(['readFile /work/a.txt'])
    expect(files.get('/work/a.txt')).toBe('content')
  })

  it('reports host mounts read-only when writes are off', () => {
    const { sandbox } = recordingSandbox()
    expect(withSandboxPolicy(sandbox, { allowWrite: false }).hostMounts!()).toEqual([
      { sandboxPath: '/', hostDir: '/tmp/x', mode: 'read-only' },
    ])
    expect(withSandboxPolicy(sandbox, {}).hostMounts!()[0]!.mode).toBe('read-write')
  })

  it('opens host mounts read-only when writes are off, and passes release through', async () => {
    const { sandbox, calls } = recordingSandbox()
    const lease = await withSandboxPolicy(sandbox, { allowWrite: false }).openHostMounts!()
    expect(lease.mounts.map((mount) => mount.mode)).toEqual(['read-only'])
    await lease.release()
    expect(calls).toEqual(['release'])
    const open = await withSandboxPolicy(sandbox, {}).openHostMounts!()
    expect(open.mounts[0]!.mode).toBe('read-write')
  })

  it('keeps the identity of the sandbox and exposes the resolved policy', () => {
    const { sandbox } = recordingSandbox()
    const guarded = withSandboxPolicy(sandbox, { allowShell: false })
    expect(guarded.name).toBe('recording')
    expect(guarded.cwd).toBe('/work')
    expect(guarded.resolvePath('x')).toBe('/work/x')
    expect(getSandboxPolicy(guarded)).toMatchObject({ allowShell: false, allowWrite: true })
    expect(getSandboxPolicy(sandbox)).toBeUndefined()
  })

  it("wraps the view a sandbox's restrict() returns, given the resolved policy", async () => {
    const { sandbox } = recordingSandbox()
    const { sandbox: view, calls: viewCalls } = recordingSandbox()
    const given: ResolvedSandboxPolicy[] = []
    sandbox.restrict = (policy) => {
      given.push(policy)
      return view
    }
    const guarded = withSandboxPolicy(sandbox, { allowWrite: false })
    expect(given).toEqual([resolveSandboxPolicy({ allowWrite: false })])
    await guarded.exec('ls')
    expect(viewCalls).toEqual(['exec ls'])
  })

  it('a policy over a wrapped sandbox applies both, over the original sandbox', async () => {
    const { sandbox } = recordingSandbox()
    const given: ResolvedSandboxPolicy[] = []
    sandbox.restrict = (policy) => {
      given.push(policy)
      return sandbox
    }
    const once = withSandboxPolicy(sandbox, { allowedCommands: ['ls', 'cat'] })
    const twice = withSandboxPolicy(once, { allowWrite: false, allowedCommands: ['cat', 'rm'] })
    expect(getSandboxPolicy(twice)).toEqual({
      allowWrite: false,
      allowShell: true,
      allowedCommands: ['cat'],
      blockCompoundCommands: true,
    })
    expect(given.at(-1)).toEqual(getSandboxPolicy(twice))
    await expect(twice.exec('ls')).rejects.toBeInstanceOf(CommandRefusedError)
    await expect(twice.writeFile('a', 'x')).rejects.toBeInstanceOf(WriteRefusedError)
  })
})

describe('combineSandboxPolicies', () => {
  it('allows only what both allow', () => {
    expect(combineSandboxPolicies({}, {})).toEqual(resolveSandboxPolicy({}))
    expect(combineSandboxPolicies({ allowWrite: false }, { allowShell: false })).toMatchObject({
      allowWrite: false,
      allowShell: false,
    })
    expect(combineSandboxPolicies({ allowedCommands: ['ls'] }, {})).toMatchObject({
      allowedCommands: ['ls'],
      blockCompoundCommands: true,
    })
    expect(
      combineSandboxPolicies({ blockCompoundCommands: true }, { blockCompoundCommands: false }),
    ).toMatchObject({
      blockCompoundCommands: true,
    })
  })
})
