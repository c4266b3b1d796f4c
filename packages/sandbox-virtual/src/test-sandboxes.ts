import type { Sandbox } from '@pyflue/core'
import { afterEach } from 'vitest'
import { createVirtualSandbox } from './index.js'

/**
 * For tests: returns `make(options)`, which creates a virtual sandbox that is closed after the
 * current test. Call it once at the top of a test file.
 */
export function closingSandboxes(): {
  make: (options?: Parameters<typeof createVirtualSandbox>[0]) => Promise<Sandbox>
  track: (sandbox: Sandbox) => void
} {
  const open: Sandbox[] = []
  afterEach(async () => {
    for (const sandbox of open.splice(0)) await sandbox.close?.()
  })
  return {
    async make(options = {}) {
      const sandbox = await createVirtualSandbox(options)
      open.push(sandbox)
      return sandbox
    },
    track: (sandbox) => {
      open.push(sandbox)
    },
  }
}
