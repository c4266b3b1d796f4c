export type { VirtualSandbox } from './virtual-sandbox.js'
export { createVirtualSandbox, VIRTUAL_SANDBOX_NAME, virtualSandbox } from './virtual-sandbox.js'
export type {
  VirtualSandboxHttpMethod,
  VirtualSandboxNetwork,
  VirtualSandboxOptions,
} from './virtual-sandbox-options.js'
export { sweepAbandonedWorkspaces, WORKSPACE_PREFIX } from './workspace-directory.js'
export { MAX_PATH_BYTES, MAX_SEGMENT_BYTES } from './workspace-paths.js'
