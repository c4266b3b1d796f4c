import { describeSandboxContract } from '@pyflue/testkit'
import { createVirtualSandbox } from './index.js'

describeSandboxContract('virtual', () => createVirtualSandbox())
describeSandboxContract('virtual (cwd /work, seeded)', () =>
  createVirtualSandbox({ cwd: '/work', files: { 'seed.txt': 'seed' } }),
)
describeSandboxContract('virtual (with size limits)', () =>
  createVirtualSandbox({ maxTotalBytes: 10 * 1024 * 1024, maxFileCount: 10_000 }),
)
