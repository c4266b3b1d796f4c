// Run formatting lives in @pyflue/core (shared with @pyflue/deepagents and @pyflue/mcp); these
// names stay importable from the harness as before.
export {
  DEFAULT_MAX_OUTPUT_CHARS,
  DEFAULT_REPR_MAX_CHARS,
  formatRunFailure,
  formatRunSuccess,
  type PythonReprOptions,
  pythonRepr,
  REPR_TRUNCATION_MARKER,
  TRUNCATION_MARKER_PATTERN,
  truncateText,
} from '@pyflue/core'
export * from './agent.js'
export * from './application-tools.js'
export * from './init.js'
export * from './resolve-model.js'
export * from './run-code-tool.js'
export * from './sandbox-tools.js'
export * from './session.js'
export * from './session-events.js'
export * from './session-store.js'
export type { SessionLeaseOptions } from './session-stores/contract-store-bridge.js'
export { FileSessionStore, type FileSessionStoreOptions } from './session-stores/file-store.js'
export { MAX_WORKSPACE_FILES, type WorkspaceFiles } from './session-workspace.js'
export * from './system-prompt.js'
export {
  ATTR as TELEMETRY_ATTRIBUTES,
  METRIC as TELEMETRY_METRICS,
  SPAN as TELEMETRY_SPANS,
} from './telemetry/attributes.js'
export { instrumentPythonBackend } from './telemetry/instrument-backend.js'
export { instrumentSandbox } from './telemetry/instrument-sandbox.js'
export { instrumentSessionStore } from './telemetry/instrument-store.js'
export {
  createTelemetry,
  TELEMETRY_SCOPE,
  Telemetry,
  type TelemetryOptions,
  type TelemetrySetting,
} from './telemetry/telemetry.js'
export type {
  TelemetryAttributes,
  TelemetryAttributeValue,
  TelemetryCounter,
  TelemetryHistogram,
  TelemetryMeter,
  TelemetrySpan,
  TelemetryTracer,
} from './telemetry/telemetry-types.js'
export { DEFAULT_SANDBOX_TOOL_LIMITS, type SandboxToolLimits } from './tool-limits.js'
