/** The session store contract suite on PostgresSessionStore against a real server on 127.0.0.1. */

import { type PostgresServer, startPostgres } from '@pyflue/test-support'
import { describeSessionStoreContract } from '@pyflue/testkit'
import { afterAll, describe, it } from 'vitest'
import { PostgresSessionStore } from './postgres-session-store.js'

const server: PostgresServer | undefined = await startPostgres()
afterAll(() => server?.stop())

if (server) {
  describeSessionStoreContract(
    'PostgresSessionStore',
    () => new PostgresSessionStore({ connectionString: server.connectionString, maxWorkspaceBytes: 1024 }),
    { maxWorkspaceBytes: 1024, shared: true },
  )
} else if (process.env.CI === 'true') {
  it('PostgreSQL binaries are installed (pg_config --bindir has initdb and pg_ctl)', () => {
    throw new Error('No PostgreSQL binaries found; CI must run the PostgreSQL store tests.')
  })
} else {
  describe.skipIf(true)('PostgresSessionStore: skipped, no PostgreSQL binaries (pg_config --bindir)', () => {
    it('runs the contract', () => {})
  })
}
