// Run formatting lives in @pyflue/core (shared with @pyflue/deepagents and @pyflue/mcp); these
// names stay importable from the harness as before.
// The telemetry kit lives in @pyflue/core (backends and sandboxes used alone take the same
// `telemetry` option); these names stay importable from the harness as before.
export {
  createTelemetry,
  DEFAULT_MAX_OUTPUT_CHARS,
  DEFAULT_REPR_MAX_CHARS,
  formatRunFailure,
  formatRunSuccess,
  instrumentPythonBackend,
  instrumentSandbox,
  type PythonReprOptions,
  pythonRepr,
  REPR_TRUNCATION_MARKER,
  TELEMETRY_ATTRIBUTES,
  TELEMETRY_METRICS,
  TELEMETRY_SPANS,
  Telemetry,
  type TelemetryAttributes,
  type TelemetryAttributeValue,
  type TelemetryCounter,
  type TelemetryHistogram,
  type TelemetryMeter,
  type TelemetryOptions,
  type TelemetrySetting,
  type TelemetrySpan,
  type TelemetryTracer,
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
export { instrumentSessionStore } from './telemetry/instrument-store.js'
export { DEFAULT_SANDBOX_TOOL_LIMITS, type SandboxToolLimits } from './tool-limits.js'
