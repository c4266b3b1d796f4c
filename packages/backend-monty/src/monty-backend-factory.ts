import {
  checkResourceLimits,
  InvalidArgumentError,
  type PythonBackendFactory,
  refuseUnknownKeys,
} from '@pyflue/core'
import { MontyBackend } from './monty-backend.js'
import {
  checkExecution,
  MONTY_BACKEND_OPTION_KEYS,
  type MontyBackendOptions,
  montyTelemetry,
} from './monty-backend-options.js'
import { valueBudgetLimits } from './value-budget.js'

/**
 * The factory the registry resolves `'monty'` to. `createBackend({ sandbox })` mounts the
 * sandbox's host directories (`Sandbox.hostMounts()`) so Python sees the same files. With
 * `telemetry`, every backend it makes is instrumented (one `Telemetry` for all of them).
 */
export function montyBackend(options: MontyBackendOptions = {}): PythonBackendFactory {
  // Checked here, at the call that received them, not at the first session.
  refuseUnknownKeys(options, MONTY_BACKEND_OPTION_KEYS, 'montyBackend options')
  checkResourceLimits(options.defaultLimits, 'montyBackend options.defaultLimits')
  checkExecution(options.execution)
  valueBudgetLimits(options.maxValueNodes, options.maxValueBytes, (argument, message) => {
    throw new InvalidArgumentError(argument, message)
  })
  // One Telemetry for every backend of the factory (one import of @opentelemetry/api for `true`).
  const telemetry = montyTelemetry(options.telemetry, 'montyBackend options.telemetry')
  return {
    name: 'monty',
    async createBackend(createOptions) {
      const sandbox = createOptions?.sandbox ?? options.sandbox
      // For `telemetry: true`, a missing @opentelemetry/api rejects here, before any run.
      await telemetry.ready
      return new MontyBackend({ ...options, telemetry, ...(sandbox ? { sandbox } : {}) })
    },
  }
}
