/**
 * The store a bench child process opens, named on its command line: `memory`, `file <directory>`,
 * `postgres <connection string>` or `redis <url>`.
 */
import { InMemorySessionStore, type SessionStore } from '@pyflue/core'
import { FileSessionStore } from '@pyflue/harness'
import { PostgresSessionStore } from '@pyflue/store-postgres'
import { RedisSessionStore } from '@pyflue/store-redis'

export type StoreKind = 'memory' | 'file' | 'postgres' | 'redis'

export function storeOf(kind: StoreKind, target: string): SessionStore {
  switch (kind) {
    case 'memory':
      return new InMemorySessionStore()
    case 'file':
      return new FileSessionStore(target)
    case 'postgres':
      return new PostgresSessionStore({ connectionString: target })
    case 'redis':
      return new RedisSessionStore({ url: target })
  }
}
