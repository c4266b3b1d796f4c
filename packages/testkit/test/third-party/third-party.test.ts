import { PyFlueRegistry } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { describePythonBackendContract, describeSandboxContract } from '../../src/index.js'
import { toyCPythonBackend } from './cpython-backend.js'
import { hostDirSandbox } from './host-dir-sandbox.js'

// Third-party plugins register their own names; the registry resolves them like built-ins.
const registry = new PyFlueRegistry()
registry.registerPythonBackend('toy-cpython', () => toyCPythonBackend)
registry.registerSandbox('host-dir', async () => hostDirSandbox)

describe('third-party plugins in the registry', () => {
  it('resolve by name next to the built-in names', async () => {
    expect(registry.pythonBackendNames()).toEqual(['monty', 'toy-cpython'])
    expect(registry.sandboxNames()).toEqual(['e2b', 'host-dir', 'vercel', 'virtual'])
    expect(await registry.resolvePythonBackend('toy-cpython')).toBe(toyCPythonBackend)
    expect(await registry.resolveSandbox('host-dir')).toBe(hostDirSandbox)
  })
})

describeSandboxContract('host-dir (third party, resolved by name)', async () => {
  const factory = await registry.resolveSandbox('host-dir')
  return factory.createSandbox({ id: 'contract' })
})

describePythonBackendContract(
  'toy-cpython (third party, resolved by name)',
  async () => {
    const factory = await registry.resolvePythonBackend('toy-cpython')
    return factory.createBackend({ sessionId: 'contract' })
  },
  {
    timeoutMs: 60_000,
    // CPython in WebAssembly has no bridge back to JavaScript, no dataclass table and no checker.
    capabilities: { externalFunctions: false, dataclasses: false, typeCheck: false },
  },
)
