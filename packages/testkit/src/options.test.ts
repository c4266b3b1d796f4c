import { InvalidArgumentError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import {
  describePythonBackendContract,
  describePythonPauseContract,
  describeReadmeExamples,
  describeSandboxContract,
  sandboxContractTitles,
} from './index.js'

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
    expect(() => describePythonPauseContract('x', never, { timeout: 1 } as never)).toThrow(
      /Did you mean `timeoutMs`\?/,
    )
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

describe('describeSandboxContract options.notApplicable', () => {
  it('sandboxContractTitles lists every test once, as "<group> > <test>"', () => {
    const titles = sandboxContractTitles()
    expect(titles.length).toBeGreaterThan(40)
    expect(new Set(titles).size).toBe(titles.length)
    expect(titles).toContain('exec > options.env is visible to the command and does not persist')
    expect(titles).toContain('stat > a missing path rejects with ENOENT')
    expect(titles).toContain('rm (as Node fs.rm) > a missing path rejects with ENOENT')
  })

  it('a title the suite does not have is refused, naming the closest one', () => {
    const call = () =>
      describeSandboxContract('x', never, {
        notApplicable: ['exec > options.env is visible to the command and does not persit'],
      })
    expect(call).toThrow(InvalidArgumentError)
    expect(call).toThrow(
      /no test 'exec > options.env .* persit'.*Did you mean 'exec > options.env is visible to the command and does not persist'\?/,
    )
    expect(() => describeSandboxContract('x', never, { notApplicable: ['options.env is visible'] })).toThrow(
      /the suite has no test 'options.env is visible'/,
    )
  })

  it('a value that is not an array of strings is refused', () => {
    expect(() => describeSandboxContract('x', never, { notApplicable: 'exec' as never })).toThrow(
      /must be an array of test titles/,
    )
    expect(() => describeSandboxContract('x', never, { notApplicable: [3] as never })).toThrow(
      InvalidArgumentError,
    )
  })
})
