import { InvalidArgumentError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { montyBackend } from './monty-backend-factory.js'
import { createMontyPool } from './monty-pool.js'

describe('backend-monty options refuse unknown keys and invalid values at the call', () => {
  it('createMontyBackend and montyBackend', () => {
    expect(() => createMontyBackend({ defaultLimit: {} } as never)).toThrow(/Did you mean `defaultLimits`\?/)
    expect(() => createMontyBackend({ maxStdoutBytes: -1 })).toThrow(InvalidArgumentError)
    expect(() => montyBackend({ executon: 'pool' } as never)).toThrow(/Did you mean `execution`\?/)
    expect(() => montyBackend({ defaultLimits: { maxDurationSecs: -1 } })).toThrow(InvalidArgumentError)
    expect(() => montyBackend({ defaultLimits: { timeout: 1 } as never })).toThrow(/Unknown option `timeout`/)
    for (const bad of [0, -1, 1.5, Number.NaN, '10' as never]) {
      expect(() => createMontyBackend({ maxValueNodes: bad })).toThrow(InvalidArgumentError)
      expect(() => createMontyBackend({ maxValueBytes: bad })).toThrow(InvalidArgumentError)
      expect(() => montyBackend({ maxValueNodes: bad })).toThrow(InvalidArgumentError)
    }
  })

  it('run options: `input` for `inputs`, an unknown limit, a negative limit; nothing runs', async () => {
    const backend = createMontyBackend({ execution: 'in-thread-trusted-code-only' })
    await expect(backend.run('ran = 1', { input: { a: 1 } } as never)).rejects.toThrow(
      /Did you mean `inputs`\?/,
    )
    await expect(backend.run('ran = 2', { resourceLimits: { maxDuration: 1 } as never })).rejects.toThrow(
      /Did you mean `maxDurationSecs`\?/,
    )
    await expect(backend.run('ran = 3', { resourceLimits: { maxMemory: -5 } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    )
    await expect(backend.run('ran')).rejects.toMatchObject({ code: 'PYTHON_RUNTIME' })
    await backend.close()
  })

  it('createMontyPool', () => {
    expect(() => createMontyPool({ sise: 2 } as never)).toThrow(/Did you mean `size`\?/)
    expect(() => createMontyPool({ size: 0 })).toThrow(InvalidArgumentError)
    expect(() => createMontyPool({ startTimeoutMs: 0 })).toThrow(InvalidArgumentError)
    expect(() => createMontyPool({ startTimout: 5 } as never)).toThrow(/Did you mean `startTimeoutMs`\?/)
  })
})
