/** Runs the session store contract on core's InMemorySessionStore, the reference store. */
import { InMemorySessionStore } from '@pyflue/core'
import { describeSessionStoreContract } from './session-store-contract.js'

describeSessionStoreContract(
  'InMemorySessionStore',
  () => new InMemorySessionStore({ maxWorkspaceBytes: 1024 }),
  {
    maxWorkspaceBytes: 1024,
  },
)
