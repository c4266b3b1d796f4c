import { spawnSync } from 'node:child_process'
import {
  linkSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Sandbox } from '@pyflue/core'
import { PathRefusedError, type SandboxFileError } from '@pyflue/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closingSandboxes } from './test-sandboxes.js'

/** A host directory outside every sandbox, holding a secret the sandbox must never reach. */
let outside: string
const SECRET = 'host-secret-7f3a'
beforeAll(() => {
  outside = mkdtempSync(join(tmpdir(), 'pyflue-escape-target-'))
  writeFileSync(join(outside, 'secret.txt'), SECRET)
})
afterAll(() => rmSync(outside, { recursive: true, force: true }))

const { make } = closingSandboxes()

function hostDir(sandbox: Sandbox): string {
  return sandbox.hostMounts!()[0]!.hostDir
}

/** The outside directory is unchanged: only the secret, with its content. */
function expectOutsideUntouched(): void {
  expect(readdirSync(outside)).toEqual(['secret.txt'])
  expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe(SECRET)
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
}

describe('traversal with ..', () => {
  it('file verbs clamp .. at the workspace root', async () => {
    const sandbox = await make({ cwd: '/a/b' })
    const climb = `${'../'.repeat(30)}${outside.slice(1)}/secret.txt`
    expect(sandbox.resolvePath(climb)).toBe(`${outside}/secret.txt`)
    expect(((await rejection(sandbox.readFile(climb))) as SandboxFileError).errno).toBe('ENOENT')
    await sandbox.writeFile(`${'../'.repeat(30)}etc/passwd`, 'inside')
    expect(await sandbox.readFile('/etc/passwd')).toBe('inside')
    expect(readFileSync(join(hostDir(sandbox), 'etc/passwd'), 'utf8')).toBe('inside')
    expectOutsideUntouched()
  })

  it('the shell cannot climb above / with cd .. loops or ../ paths', async () => {
    const sandbox = await make()
    const result = await sandbox.exec(
      `for i in $(seq 1 50); do cd ..; done; pwd; ls; cat ${'../'.repeat(20)}${outside.slice(1)}/secret.txt`,
    )
    expect(result.stdout).toBe('/\n')
    expect(result.stdout + result.stderr).not.toContain(SECRET)
    const relative = await sandbox.exec(`cd /; cd ../../../..; cat .${outside}/secret.txt; ls ../../..`)
    expect(relative.stdout + relative.stderr).not.toContain(SECRET)
    expectOutsideUntouched()
  })
})

describe('absolute host paths', () => {
  it('name a place inside the workspace, for the file verbs', async () => {
    const sandbox = await make()
    expect(((await rejection(sandbox.readFile(`${outside}/secret.txt`))) as SandboxFileError).errno).toBe(
      'ENOENT',
    )
    const own = hostDir(sandbox)
    await sandbox.writeFile('data.txt', 'mine')
    expect(((await rejection(sandbox.readFile(`${own}/data.txt`))) as SandboxFileError).errno).toBe('ENOENT')
    await sandbox.writeFile(`${outside}/secret.txt`, 'overwritten?')
    expectOutsideUntouched()
    expect(await sandbox.readFile(`${outside}/secret.txt`)).toBe('overwritten?')
  })

  it('name a place inside the workspace, for the shell', async () => {
    const sandbox = await make()
    const result = await sandbox.exec(
      `cat ${outside}/secret.txt; ls ${outside}; cat /etc/passwd; ls /proc /dev; cat /proc/self/environ; echo x > ${outside}/new.txt`,
    )
    expect(result.stdout + result.stderr).not.toContain(SECRET)
    expect(result.stdout + result.stderr).not.toContain('root:')
    expectOutsideUntouched()
    // The write landed inside the workspace, under the same spelling.
    expect(await sandbox.readFile(`${outside}/new.txt`)).toBe('x\n')
  })
})

describe('symbolic links', () => {
  it('the shell cannot create one: ln -s fails, so the workspace never holds a link', async () => {
    const sandbox = await make()
    const result = await sandbox.exec(
      [
        `ln -s ${outside}/secret.txt abs-link`,
        `ln -s ${outside} abs-dir`,
        `ln -s ${'../'.repeat(12)}${outside.slice(1)}/secret.txt rel-link`,
        'ln -s . self-link',
        'cat abs-link abs-dir/secret.txt rel-link',
        'echo pwned > abs-link; echo pwned > abs-dir/new.txt; echo pwned > rel-link',
      ].join('; '),
    )
    expect(result.stdout + result.stderr).not.toContain(SECRET)
    expect(result.stderr.match(/^ln: /gm)).toHaveLength(4)
    const root = hostDir(sandbox)
    for (const name of readdirSync(root)) expect(lstatSync(join(root, name)).isSymbolicLink()).toBe(false)
    expectOutsideUntouched()
  })

  it('planted on disk (as Python or another tool could), are refused by the file verbs', async () => {
    const sandbox = await make()
    const root = hostDir(sandbox)
    symlinkSync(join(outside, 'secret.txt'), join(root, 'file-link'))
    symlinkSync(outside, join(root, 'dir-link'))
    symlinkSync('../../../../../../../../../../..', join(root, 'up-link'))
    for (const path of ['file-link', 'dir-link/secret.txt', `up-link${outside}/secret.txt`]) {
      const read = await rejection(sandbox.readFile(path))
      expect(read).toBeInstanceOf(PathRefusedError)
      expect((read as PathRefusedError).reason).toBe('symlink-escape')
      expect(await rejection(sandbox.readFileBuffer(path))).toBeInstanceOf(PathRefusedError)
      expect(await rejection(sandbox.writeFile(path, 'pwned'))).toBeInstanceOf(PathRefusedError)
      expect(await rejection(sandbox.stat(path))).toBeInstanceOf(PathRefusedError)
      expect(await sandbox.exists(path)).toBe(false)
    }
    expect(await rejection(sandbox.readdir('dir-link'))).toBeInstanceOf(PathRefusedError)
    expect(await rejection(sandbox.mkdir('dir-link/sub'))).toBeInstanceOf(PathRefusedError)
    expect(await rejection(sandbox.mkdir('dir-link/a/b', { recursive: true }))).toBeInstanceOf(
      PathRefusedError,
    )
    expect(await rejection(sandbox.rm('dir-link/secret.txt', { force: true }))).toBeInstanceOf(
      PathRefusedError,
    )
    expectOutsideUntouched()
    // Removing the link itself stays inside: the link goes, the target stays.
    await sandbox.rm('dir-link', { recursive: true })
    await sandbox.rm('file-link')
    expect(await sandbox.exists('dir-link')).toBe(false)
    expectOutsideUntouched()
  })

  it('planted on disk, are refused by the shell', async () => {
    const sandbox = await make()
    const root = hostDir(sandbox)
    symlinkSync(join(outside, 'secret.txt'), join(root, 'file-link'))
    symlinkSync(outside, join(root, 'dir-link'))
    const result = await sandbox.exec(
      [
        'cat file-link',
        'cat dir-link/secret.txt',
        'ls dir-link',
        'grep -r host- .',
        'find / -name secret.txt',
        'cp file-link copy.txt',
        'cp -r dir-link copied',
        'tar -cf out.tar dir-link file-link',
        'echo pwned > file-link',
        'echo pwned >> file-link',
        'echo pwned > dir-link/new.txt',
        'rm -rf dir-link/secret.txt',
        'mv file-link moved',
        'true',
      ].join('; '),
    )
    expect(result.stdout + result.stderr).not.toContain(SECRET)
    expectOutsideUntouched()
    if (await sandbox.exists('copy.txt')) expect(await sandbox.readFile('copy.txt')).not.toContain(SECRET)
  })

  it('a link planted inside the workspace is refused too, whatever its target (no link is followed)', async () => {
    const sandbox = await make()
    const root = hostDir(sandbox)
    await sandbox.writeFile('real/deep/file.txt', 'inside')
    symlinkSync('real', join(root, 'hop1'))
    symlinkSync(join(root, 'real', 'deep', 'file.txt'), join(root, 'abs-inside'))
    for (const path of ['hop1/deep/file.txt', 'abs-inside']) {
      expect(await rejection(sandbox.readFile(path))).toBeInstanceOf(PathRefusedError)
    }
    expect((await sandbox.exec('cat hop1/deep/file.txt abs-inside')).stdout).toBe('')
    expect(await sandbox.readFile('real/deep/file.txt')).toBe('inside')
  })
})

describe('archives', () => {
  it('tar -x of an archive with an outside link and ../ names stays inside', async () => {
    const build = mkdtempSync(join(tmpdir(), 'pyflue-tar-build-'))
    try {
      symlinkSync(join(outside, 'secret.txt'), join(build, 'evil'))
      writeFileSync(join(build, 'payload.txt'), 'payload')
      const climb = `${'../'.repeat(12)}${outside.slice(1)}/planted.txt`
      const tar = (args: string[]) => spawnSync('tar', args, { cwd: build, encoding: 'utf8' })
      expect(tar(['-cf', 'links.tar', 'evil']).status).toBe(0)
      expect(
        tar(['-P', '--transform', `s,^payload.txt,${climb},`, '-cf', 'climb.tar', 'payload.txt']).status,
      ).toBe(0)
      const sandbox = await make({
        files: {
          'links.tar': readFileSync(join(build, 'links.tar')),
          'climb.tar': readFileSync(join(build, 'climb.tar')),
        },
      })
      const result = await sandbox.exec(
        'tar -xf links.tar; cat evil; echo pwned > evil; tar -xf climb.tar; tar -xPf climb.tar; find / -name planted.txt',
      )
      expect(result.stdout + result.stderr).not.toContain(SECRET)
      expectOutsideUntouched()
    } finally {
      rmSync(build, { recursive: true, force: true })
    }
  })
})

describe('hard links', () => {
  it('a hard link planted on disk is replaced by a write, never written through', async () => {
    const sandbox = await make()
    linkSync(join(outside, 'secret.txt'), join(hostDir(sandbox), 'hard.txt'))
    await sandbox.writeFile('hard.txt', 'replaced')
    expect(await sandbox.readFile('hard.txt')).toBe('replaced')
    await sandbox.exec('echo shell > hard2.txt')
    expectOutsideUntouched()
  })

  it('the shell writes through neither', async () => {
    const sandbox = await make()
    linkSync(join(outside, 'secret.txt'), join(hostDir(sandbox), 'hard.txt'))
    await sandbox.exec('echo pwned > hard.txt; echo more >> hard.txt; sed -i s/x/y/ hard.txt; touch hard.txt')
    expectOutsideUntouched()
  })
})

describe('very long and invalid paths', () => {
  it('refuse cleanly with PathRefusedError', async () => {
    const sandbox = await make()
    const longName = 'n'.repeat(300)
    const deep = `/${'d/'.repeat(2000)}f.txt`
    for (const path of [longName, deep]) {
      const error = await rejection(sandbox.writeFile(path, 'x'))
      expect(error).toBeInstanceOf(PathRefusedError)
      expect((error as PathRefusedError).reason).toBe('too-long')
      expect(await rejection(sandbox.readFile(path))).toBeInstanceOf(PathRefusedError)
      expect(await rejection(sandbox.mkdir(path, { recursive: true }))).toBeInstanceOf(PathRefusedError)
      expect(await rejection(sandbox.exec('pwd', { cwd: path }))).toBeInstanceOf(PathRefusedError)
    }
    const nul = await rejection(sandbox.readFile('a\0b'))
    expect(nul).toBeInstanceOf(PathRefusedError)
    expect((nul as PathRefusedError).reason).toBe('invalid')
    expect(await sandbox.readdir('/')).toEqual([])
  })

  it('the shell reports an error for them and keeps working', async () => {
    const sandbox = await make()
    const mkdir = await sandbox.exec(`mkdir -p ${'d/'.repeat(3000)}; echo alive`)
    expect(mkdir.stdout).toBe('alive\n')
    expect(mkdir.stderr).not.toBe('')
    // A refused redirection stops the command line (a just-bash limitation, see the README).
    const redirect = await sandbox.exec(`echo x > ${'n'.repeat(300)}`)
    expect(redirect.exitCode).not.toBe(0)
    expect(redirect.stderr).not.toBe('')
    expect((await sandbox.exec('echo still')).stdout).toBe('still\n')
    expect(await sandbox.readdir('/')).toEqual([])
  })
})

describe('host processes, environment and network', () => {
  it('the host environment is not visible', async () => {
    process.env.PYFLUE_ESCAPE_PROBE = 'leaked-value'
    try {
      const sandbox = await make({ env: { GIVEN: 'yes' } })
      const result = await sandbox.exec('env; printenv; echo "$HOME $USER $PATH $PYFLUE_ESCAPE_PROBE"; set')
      expect(result.stdout).not.toContain('leaked-value')
      expect(result.stdout).toContain('GIVEN=yes')
      if (process.env.HOME && process.env.HOME !== '/') expect(result.stdout).not.toContain(process.env.HOME)
    } finally {
      delete process.env.PYFLUE_ESCAPE_PROBE
    }
  })

  it('no host process can be started', async () => {
    const sandbox = await make()
    const marker = join(outside, 'spawned.txt')
    const attempts = [
      `node -e "require('fs').writeFileSync('${marker}', 'x')"`,
      `/usr/bin/env node -e 1`,
      `sh -c "touch ${marker}"`,
      `bash -c "touch ${marker}; /bin/sh -c 'touch ${marker}'"`,
      `xargs touch <<< ${marker}`,
      `find / -exec touch ${marker} \\;`,
      `python3 -c "open('${marker}', 'w')"`,
      `js-exec -c "1"`,
      `/bin/touch ${marker}`,
      `exec /bin/sh`,
    ]
    for (const command of attempts) await sandbox.exec(command)
    expectOutsideUntouched()
    const node = await sandbox.exec('node --version')
    expect(node.exitCode).toBe(127)
    expect(node.stdout).toBe('')
  })

  it('the network is refused without an allowlist', async () => {
    const server = createServer((_req, res) => res.end('served'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    try {
      const sandbox = await make()
      const result = await sandbox.exec(`curl -s ${url}; wget -qO- ${url}`)
      expect(result.stdout).not.toContain('served')
      expect(result.exitCode).not.toBe(0)
    } finally {
      server.close()
    }
  })

  it('with an allowlist, only the listed prefixes are fetched', async () => {
    const server = createServer((req, res) => res.end(`served ${req.url}`))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const sandbox = await make({ network: { allowedUrlPrefixes: [`${origin}/ok/`] } })
      const allowed = await sandbox.exec(`curl -s ${origin}/ok/data`)
      expect(allowed.stdout).toBe('served /ok/data')
      const refused = await sandbox.exec(`curl -s ${origin}/private`)
      expect(refused.stdout).not.toContain('served')
      expect(refused.exitCode).not.toBe(0)
      const post = await sandbox.exec(`curl -s -X POST ${origin}/ok/data`)
      expect(post.stdout).not.toContain('served')
    } finally {
      server.close()
    }
  })
})
