/** @pyflue/store-postgres: a PyFlue SessionStore on PostgreSQL. */
export { PostgresSessionStore, type PostgresSessionStoreOptions } from './postgres-session-store.js'
export { SCHEMA_VERSION } from './schema.js'
