import { describePythonBackendContract, describePythonPauseContract } from '@pyflue/testkit'
import { createMontyBackend } from './monty-backend.js'
import { montyBackend } from './monty-backend-factory.js'

// Every capability, abort of a running snippet included, in both execution modes.
describePythonBackendContract('monty (createMontyBackend, pool)', () => createMontyBackend())

// On the calling thread an abort takes effect only at pauses: a busy loop cannot be aborted.
describePythonBackendContract(
  'monty (createMontyBackend, in-thread)',
  () => createMontyBackend({ execution: 'in-thread-trusted-code-only' }),
  { capabilities: { abortRunning: false } },
)

describePythonBackendContract('monty (montyBackend() factory)', () =>
  montyBackend().createBackend({ sessionId: 'contract' }),
)

// Pausing at a host call, in both execution modes.
describePythonPauseContract('monty (pool)', () => createMontyBackend())
describePythonPauseContract('monty (in-thread)', () =>
  createMontyBackend({ execution: 'in-thread-trusted-code-only' }),
)
