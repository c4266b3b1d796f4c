export * from './abort.js'
export { applySessionCommit, copySessionRecord } from './apply-session-commit.js'
export {
  type CheckedSessionCommit,
  checkSessionCommit,
  type SessionHead,
  type TouchedWorkspacePaths,
  touchedWorkspacePaths,
} from './check-session-commit.js'
export * from './errors/configuration-errors.js'
export * from './errors/pause-errors.js'
export * from './errors/pyflue-error.js'
export * from './errors/python-errors.js'
export * from './errors/sandbox-errors.js'
export * from './errors/session-errors.js'
export * from './exec-timeout.js'
export { DEFAULT_MAX_OUTPUT_CHARS, formatRunFailure, formatRunSuccess } from './format-run-output.js'
export * from './harness.js'
export * from './import-package.js'
export { InMemorySessionStore, type InMemorySessionStoreOptions } from './in-memory-session-store.js'
export {
  type JsonSchema,
  parameterOrder,
  pythonSignature,
  pythonType,
} from './json-schema-python.js'
export { closestKey, optionWithAlias, refuseUnknownKeys } from './option-keys.js'
export * from './paths.js'
export * from './provider-failures.js'
export * from './python-backend.js'
export * from './python-pause.js'
export {
  DEFAULT_REPR_MAX_CHARS,
  type PythonReprOptions,
  pythonRepr,
  REPR_TRUNCATION_MARKER,
} from './python-repr.js'
export * from './registry.js'
export { checkResourceLimits, RESOURCE_LIMIT_KEYS } from './resource-limits.js'
export * from './sandbox.js'
export * from './sandbox-from-driver.js'
export * from './sandbox-policy.js'
export { checkAcquireOptions, randomLeaseToken, waitForLease } from './session-lease.js'
export * from './session-store.js'
export * from './shell-command.js'
export * from './stage-files.js'
export * from './standard-schema.js'
export { describeFailure, type FailureFacts } from './telemetry/failure.js'
export {
  INSTRUMENTATION,
  type Instrumentation,
  instrumentationOf,
  instrumented,
} from './telemetry/forward.js'
export {
  instrumentPythonBackend,
  OBSERVE_TELEMETRY,
  type ObservedByTelemetry,
} from './telemetry/instrument-backend.js'
export { commandName, instrumentSandbox } from './telemetry/instrument-sandbox.js'
export {
  createTelemetry,
  TELEMETRY_OPTION_KEYS,
  Telemetry,
  type TelemetryContext,
  type TelemetryObservedPool,
  type TelemetryOptions,
  type TelemetryPoolFigures,
  type TelemetrySetting,
  telemetryFrom,
} from './telemetry/telemetry.js'
export {
  ATTR as TELEMETRY_ATTRIBUTES,
  METRIC as TELEMETRY_METRICS,
  type Outcome as TelemetryOutcome,
  SPAN as TELEMETRY_SPANS,
} from './telemetry/telemetry-names.js'
export {
  SPAN_KIND_CLIENT,
  SPAN_KIND_INTERNAL,
  SPAN_STATUS_ERROR,
  type TelemetryAttributes,
  type TelemetryAttributeValue,
  type TelemetryCounter,
  type TelemetryHistogram,
  type TelemetryMeter,
  type TelemetryObservableGauge,
  type TelemetryObservableResult,
  type TelemetrySpan,
  type TelemetryTracer,
} from './telemetry/telemetry-types.js'
export { TRUNCATION_MARKER_PATTERN, truncateText } from './truncate-text.js'
export * from './validate-result.js'
