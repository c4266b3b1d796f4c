import { InvalidArgumentError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { e2bSandbox } from './e2b-sandbox.js'

describe('e2bSandbox options', () => {
  it('refuse an unknown key, naming the closest known one, and an invalid value, at the call', () => {
    expect(() => e2bSandbox({ templat: 'base' } as never)).toThrow(/Did you mean `template`\?/)
    expect(() => e2bSandbox({ apikey: 'k' } as never)).toThrow(InvalidArgumentError)
    expect(() => e2bSandbox({ timeoutMs: -1 })).toThrow(InvalidArgumentError)
  })
})
