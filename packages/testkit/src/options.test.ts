import { InvalidArgumentError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { describePythonBackendContract, describeReadmeExamples, describeSandboxContract } from './index.js'

const never = () => {
  throw new Error('not called: the options are refused first')
}

describe('the suites refuse bad options before registering a test', () => {
  it('an unknown key names the closest known one', () => {
    expect(() => describeSandboxContract('x', never, { timeout: 5 } as never)).toThrow(
      /Did you mean `timeoutMs`\?/,
    )
    expect(() => describePythonBackendContract('x', never, { capabilites: {} } as never)).toThrow(
      /Did you mean `capabilities`\?/,
    )
    expect(() =>
      describePythonBackendContract('x', never, { capabilities: { dataclass: false } } as never),
    ).toThrow(/Did you mean `dataclasses`\?/)
    expect(() => describeReadmeExamples(new URL('file:///none.md'), { minimun: 1 } as never)).toThrow(
      InvalidArgumentError,
    )
  })

  it('an invalid timeoutMs is refused', () => {
    expect(() => describeSandboxContract('x', never, { timeoutMs: -1 })).toThrow(InvalidArgumentError)
    expect(() => describePythonBackendContract('x', never, { timeoutMs: 0 })).toThrow(
      /timeoutMs must be a positive/,
    )
  })
})
