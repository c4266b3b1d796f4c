import { InvalidArgumentError } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { virtualSandbox } from './virtual-sandbox.js'

describe('virtual sandbox options refuse unknown keys and invalid values at the call', () => {
  it('virtualSandbox()', () => {
    expect(() => virtualSandbox({ maxTotalByte: 10 } as never)).toThrow(/Did you mean `maxTotalBytes`\?/)
    expect(() => virtualSandbox({ maxTotalBytes: -1 })).toThrow(InvalidArgumentError)
    expect(() => virtualSandbox({ policy: { allowWrites: false } as never })).toThrow(
      /Did you mean `allowWrite`\?/,
    )
  })

  it('exec options', async () => {
    const sandbox = await virtualSandbox().createSandbox({ id: 'options' })
    await expect(sandbox.exec('touch ran', { timeout: 5 } as never)).rejects.toThrow(
      /Did you mean `timeoutMs`\?/,
    )
    expect(await sandbox.exists('ran')).toBe(false)
    await expect(sandbox.exec('true', { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await sandbox.close?.()
  })
})
