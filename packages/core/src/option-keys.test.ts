import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from './errors/pyflue-error.js'
import { closestKey, optionWithAlias, refuseUnknownKeys } from './option-keys.js'

describe('refuseUnknownKeys', () => {
  it('accepts known keys, undefined and null', () => {
    expect(() => refuseUnknownKeys({ inputs: {} }, ['inputs', 'limits'], 'run options')).not.toThrow()
    expect(() => refuseUnknownKeys(undefined, ['inputs'], 'run options')).not.toThrow()
    expect(() => refuseUnknownKeys(null, ['inputs'], 'run options')).not.toThrow()
  })

  it('refuses an unknown key, naming it and the closest known one', () => {
    let caught: unknown
    try {
      refuseUnknownKeys({ input: { a: 1 } }, ['inputs', 'limits'], 'run options')
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError)
    expect((caught as InvalidArgumentError).argument).toBe('run options.input')
    expect((caught as Error).message).toContain('`input`')
    expect((caught as Error).message).toContain('Did you mean `inputs`?')
  })

  it('refuses an unknown key whose value is undefined', () => {
    expect(() => refuseUnknownKeys({ timeout: undefined }, ['maxDurationSecs'], 'limits')).toThrow(
      InvalidArgumentError,
    )
  })

  it('refuses a non-object', () => {
    expect(() => refuseUnknownKeys(3, ['a'], 'options')).toThrow(InvalidArgumentError)
    expect(() => refuseUnknownKeys([], ['a'], 'options')).toThrow(InvalidArgumentError)
  })

  it('suggests nothing when no key is close', () => {
    expect(closestKey('python', ['pythonBackend', 'sandbox'])).toBe('pythonBackend')
    expect(closestKey('maxDuration', ['maxDurationSecs', 'maxMemory'])).toBe('maxDurationSecs')
    expect(closestKey('colour', ['pythonBackend', 'sandbox'])).toBeUndefined()
    expect(closestKey('sandbx', ['pythonBackend', 'sandbox'])).toBe('sandbox')
    expect(closestKey('timeout', ['maxDurationSecs', 'maxMemory'])).toBeUndefined()
  })
})

describe('optionWithAlias', () => {
  it('takes the new name, else the deprecated one, and refuses both', () => {
    expect(optionWithAlias({ env: 1 } as { env?: number; envs?: number }, 'env', 'envs')).toBe(1)
    expect(optionWithAlias({ envs: 2 } as { env?: number; envs?: number }, 'env', 'envs')).toBe(2)
    expect(optionWithAlias({} as { env?: number; envs?: number }, 'env', 'envs')).toBeUndefined()
    expect(() => optionWithAlias({ env: 1, envs: 1 }, 'env', 'envs')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', argument: 'env' }),
    )
  })
})
