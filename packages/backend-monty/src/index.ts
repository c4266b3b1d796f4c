export type { RegisteredDataclass } from './dataclass-registry.js'
export { PYTHON_EXCEPTION_TYPES } from './external-functions.js'
export { createMontyBackend, MontyBackend } from './monty-backend.js'
export { montyBackend } from './monty-backend-factory.js'
export {
  DEFAULT_MAX_STDOUT_BYTES,
  DEFAULT_RESOURCE_LIMITS,
  type MontyBackendOptions,
} from './monty-backend-options.js'
export {
  createMontyPool,
  DEFAULT_POOL_IDLE_TIMEOUT_MS,
  DEFAULT_POOL_MAX_HEAP_MB,
  DEFAULT_POOL_NICENESS,
  DEFAULT_POOL_START_TIMEOUT_MS,
  defaultPoolSize,
  MontyPool,
  type MontyPoolOptions,
  type MontyPoolStats,
  sharedMontyPool,
} from './monty-pool.js'
export { STATE_FORMAT_VERSION, STATE_MAGIC } from './state-format.js'
export { DEFAULT_MAX_VALUE_BYTES, DEFAULT_MAX_VALUE_NODES } from './value-budget.js'
export { isTuple, MAX_VALUE_DEPTH, tuple } from './value-conversion.js'
