import type { PythonBackendFactory } from '@pyflue/core'
import { MontyBackend, type MontyBackendOptions } from './monty-backend.js'

/**
 * The factory the registry resolves `'monty'` to. `createBackend({ sandbox })` mounts the
 * sandbox's host directories (`Sandbox.hostMounts()`) so Python sees the same files.
 */
export function montyBackend(options: MontyBackendOptions = {}): PythonBackendFactory {
  return {
    name: 'monty',
    async createBackend(createOptions) {
      const sandbox = createOptions?.sandbox ?? options.sandbox
      return new MontyBackend({ ...options, ...(sandbox ? { sandbox } : {}) })
    },
  }
}
