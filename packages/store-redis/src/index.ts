/** @pyflue/store-redis: a PyFlue SessionStore on Redis. */
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session-store.js'
