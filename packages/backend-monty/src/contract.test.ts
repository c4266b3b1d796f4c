import { describePythonBackendContract } from '@pyflue/testkit'
import { createMontyBackend } from './monty-backend.js'
import { montyBackend } from './monty-backend-factory.js'

describePythonBackendContract('monty (createMontyBackend)', () => createMontyBackend(), {
  // Monty runs a snippet synchronously on the calling thread: an abort takes effect at the next
  // pause (external call, name lookup) or before the run starts; a busy loop ends at maxDurationSecs.
  capabilities: { abortRunning: false },
})

describePythonBackendContract(
  'monty (montyBackend() factory)',
  () => montyBackend().createBackend({ sessionId: 'contract' }),
  { capabilities: { abortRunning: false } },
)
