/** Helpers the packages' tests share: fake provider servers' HTTP, process groups, in-memory telemetry, a throwaway PostgreSQL. */
export { readBody, sendJson } from './http.js'
export {
  ancestorNames,
  type MetricPoint,
  memoryTelemetry,
  oneSpan,
  parentOf,
  spansNamed,
} from './otel-memory.js'
export { type PostgresServer, startPostgres } from './postgres-server.js'
export { killGroup } from './processes.js'
