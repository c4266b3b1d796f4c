import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from './errors/pyflue-error.js'
import { checkResourceLimits } from './resource-limits.js'
import { sandboxFromDriver } from './sandbox-from-driver.js'
import { resolveSandboxPolicy } from './sandbox-policy.js'

describe('checkResourceLimits', () => {
  it('accepts undefined, an empty object and valid limits', () => {
    expect(() => checkResourceLimits(undefined, 'limits')).not.toThrow()
    expect(() =>
      checkResourceLimits(
        { maxDurationSecs: 0.5, maxMemory: 1024, maxAllocations: 10, maxRecursionDepth: 50 },
        'l',
      ),
    ).not.toThrow()
  })

  it('refuses an unknown key naming the closest known one', () => {
    expect(() => checkResourceLimits({ maxDuration: 1 }, 'init options.resourceLimits')).toThrow(
      expect.objectContaining({
        argument: 'init options.resourceLimits.maxDuration',
        message: expect.stringContaining('Did you mean `maxDurationSecs`?'),
      }),
    )
  })

  it('refuses invalid values', () => {
    for (const limits of [
      { maxDurationSecs: -1 },
      { maxDurationSecs: 0 },
      { maxDurationSecs: Number.POSITIVE_INFINITY },
      { maxDurationSecs: '5' },
      { maxMemory: 1.5 },
      { maxAllocations: 0 },
      { maxRecursionDepth: -3 },
    ]) {
      expect(() => checkResourceLimits(limits, 'limits'), JSON.stringify(limits)).toThrow(
        InvalidArgumentError,
      )
    }
  })
})

describe('options of the sandbox kit', () => {
  it('a sandbox policy refuses an unknown key', () => {
    expect(() => resolveSandboxPolicy({ allowedCommand: ['ls'] } as never)).toThrow(
      /Did you mean `allowedCommands`\?/,
    )
  })

  it('exec refuses an unknown option before the driver is called', async () => {
    const calls: string[] = []
    const sandbox = sandboxFromDriver(
      {
        exec: async (command: string) => {
          calls.push(command)
          return { stdout: '', stderr: '', exitCode: 0 }
        },
      } as never,
      { name: 'kit', cwd: '/' },
    )
    await expect(sandbox.exec('ls', { timeout: 5 } as never)).rejects.toThrow(/Did you mean `timeoutMs`\?/)
    expect(calls).toEqual([])
    await sandbox.exec('ls', { timeoutMs: 5 })
    expect(calls).toEqual(['ls'])
  })
})
