/** The session store contract suite on RedisSessionStore against a real redis-server on 127.0.0.1. */
import { describeSessionStoreContract } from '@pyflue/testkit'
import { afterAll, describe, it } from 'vitest'
import { type RedisServer, startRedis } from '../test/redis-server.js'
import { RedisSessionStore } from './redis-session-store.js'

const server: RedisServer | undefined = await startRedis()
afterAll(() => server?.stop())

if (server) {
  describeSessionStoreContract(
    'RedisSessionStore',
    () => new RedisSessionStore({ url: server.url, maxWorkspaceBytes: 1024 }),
    { maxWorkspaceBytes: 1024, shared: true },
  )
} else if (process.env.CI === 'true') {
  it('redis-server is installed', () => {
    throw new Error('No redis-server found; CI must run the Redis store tests (.ci/run installs it).')
  })
} else {
  describe.skipIf(true)('RedisSessionStore: skipped, no redis-server (apt-get install redis-server)', () => {
    it('runs the contract', () => {})
  })
}
