import { describePythonBackendContract } from '@pyflue/testkit'
import { createMontyBackend } from './monty-backend.js'
import { montyBackend } from './monty-backend-factory.js'

// Every capability, abort of a running snippet included (runs given a signal use a worker thread).
describePythonBackendContract('monty (createMontyBackend)', () => createMontyBackend())

describePythonBackendContract('monty (montyBackend() factory)', () =>
  montyBackend().createBackend({ sessionId: 'contract' }),
)
