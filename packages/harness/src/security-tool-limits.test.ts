// Security: what the model chooses for a tool (the bash deadline, the read line count) is clamped
// to the application's bounds (issue 10: a `timeoutMs` of 2 000 000 000 was accepted).
import type { ExecOptions, Sandbox } from '@pyflue/core'
import { createVirtualSandbox } from '@pyflue/sandbox-virtual'
import { describe, expect, it } from 'vitest'
import { init } from './init.js'
import { sandboxTools } from './sandbox-tools.js'
import { scriptedModel } from './testing/scripted-model.js'
import { DEFAULT_SANDBOX_TOOL_LIMITS, resolveSandboxToolLimits } from './tool-limits.js'

const call = { toolCallId: 't', messages: [] }

/** The sandbox, with the deadlines its `exec` was given recorded. */
async function recordingSandbox(files: Record<string, string> = {}) {
  const sandbox = await createVirtualSandbox({ files })
  const deadlines: (number | undefined)[] = []
  const exec = sandbox.exec.bind(sandbox)
  ;(sandbox as { exec: Sandbox['exec'] }).exec = (command, options?: ExecOptions) => {
    deadlines.push(options?.timeoutMs)
    return exec(command, options)
  }
  return { sandbox, deadlines }
}

describe('bash timeoutMs is clamped to the application bounds', () => {
  it('defaults to 30 s and lowers a model-chosen 2 000 000 000 ms to 10 minutes', async () => {
    const { sandbox, deadlines } = await recordingSandbox()
    const tools = sandboxTools(sandbox)
    expect(await tools.bash.execute!({ command: 'echo hi' }, call)).toBe('exit code: 0\nstdout:\nhi')
    const clamped = await tools.bash.execute!({ command: 'echo hi', timeoutMs: 2_000_000_000 }, call)
    expect(clamped).toBe('exit code: 0\n(timeoutMs lowered to 600000, the most allowed)\nstdout:\nhi')
    expect(await tools.bash.execute!({ command: 'true', timeoutMs: 5_000 }, call)).toBe('exit code: 0')
    expect(deadlines).toEqual([30_000, 600_000, 5_000])
  })

  it('never goes above what the application configured, through sandboxTools and through init', async () => {
    const { sandbox, deadlines } = await recordingSandbox()
    const tools = sandboxTools(sandbox, { bashTimeoutMs: 1_000, maxBashTimeoutMs: 2_000 })
    await tools.bash.execute!({ command: 'true' }, call)
    await tools.bash.execute!({ command: 'true', timeoutMs: 60_000 }, call)
    expect(deadlines).toEqual([1_000, 2_000])

    // Through init: the tools a prompt gives the model.
    const model = scriptedModel([
      { toolCalls: [{ toolName: 'bash', input: { command: 'echo x', timeoutMs: 999_999_999 } }] },
      { text: 'done' },
    ])
    const agent = await init({ model, sandbox: 'virtual', toolLimits: { maxBashTimeoutMs: 3_000 } })
    try {
      const session = await agent.session('limits-prompt')
      const inner = session.sandbox!
      const exec = inner.exec.bind(inner)
      const seen: unknown[] = []
      ;(inner as { exec: Sandbox['exec'] }).exec = (command, options) => {
        seen.push(options?.timeoutMs)
        return exec(command, options)
      }
      const reply = await session.prompt('run it')
      expect(reply.steps[0]?.toolResults[0]?.output).toBe(
        'exit code: 0\n(timeoutMs lowered to 3000, the most allowed)\nstdout:\nx',
      )
      expect(seen).toEqual([3_000])
    } finally {
      await agent.close()
    }
  })

  it('refuses bounds that are not positive integers or contradict each other', async () => {
    expect(resolveSandboxToolLimits(undefined, 'x')).toEqual(DEFAULT_SANDBOX_TOOL_LIMITS)
    expect(() => resolveSandboxToolLimits({ bashTimeoutMs: 0 }, 'x')).toThrow(
      /x\.bashTimeoutMs|positive integer/,
    )
    expect(() => resolveSandboxToolLimits({ grepTimeoutMs: 1.5 }, 'x')).toThrow(/positive integer/)
    expect(() => resolveSandboxToolLimits({ bashTimeoutMs: 5_000, maxBashTimeoutMs: 1_000 }, 'x')).toThrow(
      /may not exceed maxBashTimeoutMs/,
    )
    expect(resolveSandboxToolLimits({ bashTimeoutMs: 900_000 }, 'x').maxBashTimeoutMs).toBe(900_000)
    await expect(init({ toolLimits: { maxBashTimeoutMs: -1 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      argument: 'init options.toolLimits.maxBashTimeoutMs',
    })
    await expect(init({ toolLimits: { timeout: 1 } as never })).rejects.toMatchObject({
      argument: 'init options.toolLimits.timeout',
    })
  })
})

describe('read limit is clamped', () => {
  it('shows at most 2000 lines whatever limit the model asks for', async () => {
    const text = Array.from({ length: 5_000 }, (_, i) => `line ${i + 1}`).join('\n')
    const { sandbox } = await recordingSandbox({ 'long.txt': text })
    const tools = sandboxTools(sandbox, { maxOutputChars: 1_000_000 })
    const shown = (await tools.read.execute!({ path: 'long.txt', limit: 1_000_000_000 }, call)) as string
    const lines = shown.split('\n')
    expect(lines).toHaveLength(2001)
    expect(lines[1999]).toBe('  2000\tline 2000')
    expect(lines[2000]).toBe('(3000 more lines)')
  })
})
