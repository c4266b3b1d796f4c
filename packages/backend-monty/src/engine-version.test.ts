import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { montyEngineVersion } from './engine-version.js'
import { createMontyBackend } from './monty-backend.js'

describe('engineVersion', () => {
  it('names the installed @pydantic/monty release, on the backend too', async () => {
    const require = createRequire(import.meta.url)
    const manifest = require('../package.json') as { dependencies: Record<string, string> }
    const pinned = manifest.dependencies['@pydantic/monty']!
    expect(montyEngineVersion()).toBe(`@pydantic/monty ${pinned}`)
    const backend = createMontyBackend({ execution: 'in-thread-trusted-code-only' })
    expect(backend.engineVersion).toBe(montyEngineVersion())
    await backend.close()
  })
})
