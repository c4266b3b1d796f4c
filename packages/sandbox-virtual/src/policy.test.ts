import { CommandRefusedError, getSandboxPolicy, WriteRefusedError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { createVirtualSandbox } from './index.js'
import { closingSandboxes } from './test-sandboxes.js'

const { make } = closingSandboxes()

describe('policy option', () => {
  it('applies withSandboxPolicy (the policy is readable with getSandboxPolicy)', async () => {
    const sandbox = await make({ policy: { allowShell: false } })
    expect(getSandboxPolicy(sandbox)?.allowShell).toBe(false)
    expect(getSandboxPolicy(await make())).toBeUndefined()
  })

  it('allowShell: false refuses every exec before it runs', async () => {
    const sandbox = await make({ policy: { allowShell: false } })
    const error = await sandbox.exec('echo hi > hi.txt').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommandRefusedError)
    expect((error as CommandRefusedError).reason).toBe('shell-disabled')
    expect(await sandbox.exists('hi.txt')).toBe(false)
    await sandbox.writeFile('ok.txt', 'files still work')
    expect(await sandbox.readFile('ok.txt')).toBe('files still work')
  })

  it('allowedCommands runs only listed commands and refuses compound lines by default', async () => {
    const sandbox = await make({ files: { 'a.txt': 'b\na\n' }, policy: { allowedCommands: ['cat', 'sort'] } })
    expect((await sandbox.exec('sort a.txt')).stdout).toBe('a\nb\n')
    const notAllowed = await sandbox.exec('rm a.txt').catch((e: unknown) => e)
    expect((notAllowed as CommandRefusedError).reason).toBe('not-allowed')
    expect((notAllowed as CommandRefusedError).commandName).toBe('rm')
    const compound = await sandbox.exec('cat a.txt | sort').catch((e: unknown) => e)
    expect((compound as CommandRefusedError).reason).toBe('compound')
    const substitution = await sandbox.exec('cat $(rm a.txt)').catch((e: unknown) => e)
    expect((substitution as CommandRefusedError).reason).toBe('substitution')
    expect(await sandbox.readFile('a.txt')).toBe('b\na\n')
  })

  it('blockCompoundCommands alone refuses ;, &&, | and subshells', async () => {
    const sandbox = await make({ policy: { blockCompoundCommands: true } })
    expect((await sandbox.exec('echo one')).stdout).toBe('one\n')
    for (const line of ['echo a; echo b', 'true && echo b', 'echo a | cat', '(echo a)']) {
      const error = await sandbox.exec(line).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CommandRefusedError)
    }
  })

  it('allowWrite: false refuses the write verbs with WriteRefusedError and changes nothing', async () => {
    const sandbox = await make({ files: { 'keep.txt': 'seeded' }, policy: { allowWrite: false } })
    for (const attempt of [
      sandbox.writeFile('keep.txt', 'changed'),
      sandbox.mkdir('d'),
      sandbox.rm('keep.txt'),
    ]) {
      expect(await attempt.catch((e: unknown) => e)).toBeInstanceOf(WriteRefusedError)
    }
    expect(await sandbox.readFile('keep.txt')).toBe('seeded')
    expect(await sandbox.readdir('/')).toEqual(['keep.txt'])
    expect(
      (await sandbox.exec('echo hi > x.txt').catch((e: unknown) => e)) as CommandRefusedError,
    ).toMatchObject({
      reason: 'write-redirect',
    })
  })

  it('allowWrite: false makes the files read-only for shell commands too', async () => {
    const sandbox = await make({
      files: { 'keep.txt': 'seeded', 'd/f.txt': 'x' },
      policy: { allowWrite: false },
    })
    const result = await sandbox.exec(
      'rm keep.txt; cp keep.txt copy.txt; mv keep.txt moved.txt; sed -i s/seeded/changed/ keep.txt; mkdir new; touch t; rm -rf d; ln -s keep.txt l; tee out.txt < keep.txt; echo done',
    )
    expect(result.stdout).toContain('done')
    expect(result.stderr).toMatch(/read-only|EROFS/i)
    expect(await sandbox.readFile('keep.txt')).toBe('seeded')
    expect(await sandbox.readdir('/')).toEqual(['d', 'keep.txt'])
    expect(await sandbox.readFile('d/f.txt')).toBe('x')
    expect((await sandbox.exec('cat keep.txt')).stdout).toBe('seeded')
  })

  it('allowWrite: false reports hostMounts as read-only', async () => {
    const sandbox = await make({ policy: { allowWrite: false } })
    expect(sandbox.hostMounts!().map((m) => m.mode)).toEqual(['read-only'])
  })

  it('close passes through the policy wrapper and removes the files', async () => {
    const sandbox = await createVirtualSandbox({ policy: { allowShell: false } })
    const { hostDir } = sandbox.hostMounts!()[0]!
    await sandbox.close!()
    const { existsSync } = await import('node:fs')
    expect(existsSync(hostDir)).toBe(false)
  })
})
