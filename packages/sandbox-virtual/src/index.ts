export { DEFAULT_SHELL_MEMORY_MB, SHELL_POOL_SIZE } from './shell-pool.js'
export { SHELL_WORK_LIMITS } from './shell-work-limits.js'
export type { VirtualSandbox } from './virtual-sandbox.js'
export { createVirtualSandbox, VIRTUAL_SANDBOX_NAME, virtualSandbox } from './virtual-sandbox.js'
export type {
  VirtualSandboxHttpMethod,
  VirtualSandboxNetwork,
  VirtualSandboxOptions,
} from './virtual-sandbox-options.js'
export {
  DEFAULT_MAX_FILE_COUNT,
  DEFAULT_MAX_OUTPUT_SIZE,
  DEFAULT_MAX_TOTAL_BYTES,
} from './virtual-sandbox-options.js'
export { sweepAbandonedWorkspaces, WORKSPACE_PREFIX } from './workspace-directory.js'
export { MAX_PATH_BYTES, MAX_SEGMENT_BYTES } from './workspace-paths.js'
