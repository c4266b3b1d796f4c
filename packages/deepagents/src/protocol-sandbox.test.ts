// The Sandbox contract through the round trip `Sandbox → sandboxBackend → protocolSandbox`: a
// virtual sandbox served as a Deep Agents `SandboxBackendProtocolV2`, read back as a PyFlue
// `Sandbox` through the protocol's methods only, must still keep every guarantee the protocol
// can express.
import { SandboxOperationUnsupportedError, withSandboxPolicy } from '@pyflue/core'
import { createVirtualSandbox, type VirtualSandbox } from '@pyflue/sandbox-virtual'
import { describeSandboxContract, expectRejectsWith } from '@pyflue/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { protocolSandbox } from './protocol-sandbox.test-helpers.js'
import { REFUSED_EXIT_CODE, sandboxBackend } from './sandbox-backend.js'

const inner = new WeakMap<object, VirtualSandbox>()

describeSandboxContract(
  'virtual through sandboxBackend and back',
  async () => {
    const virtual = await createVirtualSandbox()
    const sandbox = await protocolSandbox(sandboxBackend(virtual))
    inner.set(sandbox, virtual)
    return sandbox
  },
  {
    dispose: async (sandbox) => {
      await sandbox.close?.()
      await inner.get(sandbox)?.close()
    },
    notApplicable: [
      // The protocol's `execute(command)` takes no deadline: the backend's `executeTimeoutMs` is
      // the only one (tested in sandbox-backend.test.ts), so the adapter refuses `timeoutMs`.
      'exec > an expired timeoutMs resolves with exit code 124',
      // `execute` takes no abort signal: a command cannot be stopped, only abandoned, so the
      // adapter refuses `signal`.
      'exec > an already-aborted signal rejects with AbortError before the command runs',
      'exec > an abort during a command rejects with AbortError carrying the reason as cause',
    ],
  },
)

describe('the round trip beyond the contract', () => {
  let virtual: VirtualSandbox
  beforeEach(async () => {
    virtual = await createVirtualSandbox({ files: { 'kept.txt': 'kept' } })
  })
  afterEach(async () => {
    await virtual.close()
  })

  it('a policy refusal comes back typed (EACCES, exit code 126) and changes nothing', async () => {
    const restricted = withSandboxPolicy(virtual, { allowWrite: false, allowShell: false })
    const sandbox = await protocolSandbox(sandboxBackend(restricted), { cwd: '/' })
    await expectRejectsWith(sandbox.writeFile('new.txt', 'x'), 'EACCES')
    await expect(sandbox.rm('kept.txt')).rejects.toThrow(/WRITE_REFUSED/)
    const shell = await sandbox.exec('echo hi')
    expect(shell.exitCode).toBe(REFUSED_EXIT_CODE)
    expect(shell.stdout).toContain('COMMAND_REFUSED')
    expect(await virtual.readdir('/')).toEqual(['kept.txt'])
  })

  it("the backend's executeTimeoutMs is the deadline (exit code 124); a per-command timeoutMs or signal is refused", async () => {
    const sandbox = await protocolSandbox(sandboxBackend(virtual, { executeTimeoutMs: 2000 }))
    const slow = await sandbox.exec('sleep 30; echo finished')
    expect(slow.exitCode).toBe(124)
    expect(slow.stdout).not.toContain('finished')
    await expect(sandbox.exec('echo hi', { timeoutMs: 1000 })).rejects.toBeInstanceOf(
      SandboxOperationUnsupportedError,
    )
    await expect(sandbox.exec('echo hi', { signal: new AbortController().signal })).rejects.toMatchObject({
      code: 'SANDBOX_OPERATION_UNSUPPORTED',
      option: 'signal',
    })
  })
})
