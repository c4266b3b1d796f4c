import { InvalidArgumentError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { vercelSandbox } from './vercel-sandbox.js'

describe('vercelSandbox options', () => {
  it('refuse an unknown key, naming the closest known one, and an invalid value, at the call', () => {
    expect(() => vercelSandbox({ runtme: 'node22' } as never)).toThrow(/Did you mean `runtime`\?/)
    expect(() => vercelSandbox({ stopOnclose: true } as never)).toThrow(InvalidArgumentError)
    expect(() => vercelSandbox({ timeoutMs: -1 })).toThrow(InvalidArgumentError)
  })
})
