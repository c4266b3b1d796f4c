/**
 * Not part of the normal test run: `suite-catches-violations.test.ts` runs this file in a child
 * vitest and expects exactly the tests for the broken promises to fail, and the second
 * registration, which declares those promises not applicable, to pass without them.
 */
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ExecOptions, ShellResult } from '@pyflue/core'
import { describeSandboxContract } from '../../src/index.js'
import { HostDirSandbox } from '../third-party/host-dir-sandbox.js'

class BrokenSandbox extends HostDirSandbox {
  // Breaks "resolves (does not reject) a command that exits non-zero".
  override async exec(command: string, options?: ExecOptions): Promise<ShellResult> {
    const result = await super.exec(command, options)
    if (result.exitCode !== 0 && result.exitCode !== 124) throw new Error(`exit ${result.exitCode}`)
    return result
  }

  // Breaks "returns entry names only, sorted".
  override async readdir(path: string): Promise<string[]> {
    return (await super.readdir(path)).reverse()
  }

  // Breaks "exists never rejects".
  override async exists(path: string): Promise<boolean> {
    if (path.includes('\u0000')) throw new Error('bad path')
    return super.exists(path)
  }
}

const makeBroken = async () => new BrokenSandbox(await fs.mkdtemp(join(tmpdir(), 'pyflue-broken-')))

describeSandboxContract('broken', makeBroken)

// The same sandbox with exactly the broken promises declared not applicable: it passes.
describeSandboxContract('broken, excused', makeBroken, {
  notApplicable: [
    'exec > resolves (does not reject) a command that exits non-zero',
    'readdir > returns entry names only, sorted, without . and ..',
    'exists > is false for a missing path and never rejects, even for odd paths',
  ],
})
