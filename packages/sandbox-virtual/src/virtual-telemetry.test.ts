// The virtual sandbox used alone with a `telemetry` option, through the OpenTelemetry SDK's
// in-memory exporter: an exec span with the command's name and exit code, file spans, the
// command metric, a restricted view that keeps its telemetry, and option checking.
import {
  InvalidArgumentError,
  resolveSandboxPolicy,
  TELEMETRY_METRICS,
  withSandboxPolicy,
} from '@pyflue/core'
import { memoryTelemetry, oneSpan, spansNamed } from '@pyflue/test-support'
import { describe, expect, it } from 'vitest'
import { createVirtualSandbox, virtualSandbox } from './virtual-sandbox.js'

describe('createVirtualSandbox({ telemetry })', () => {
  it('each command is an exec span with its name and exit code; file operations are file spans', async () => {
    const otel = memoryTelemetry()
    const sandbox = await createVirtualSandbox({ telemetry: { tracer: otel.tracer, meter: otel.meter } })
    expect((await sandbox.exec('echo secret_word_8812 > note.txt')).exitCode).toBe(0)
    expect((await sandbox.exec('cat missing.txt')).exitCode).not.toBe(0)
    expect(await sandbox.readFile('note.txt')).toBe('secret_word_8812\n')
    await sandbox.writeFile('/data/out.txt', 'x')
    expect(sandbox.hostMounts()).toHaveLength(1)
    await sandbox.close()

    const spans = otel.spans()
    const execs = spansNamed(spans, 'pyflue.sandbox.exec')
    expect(execs.map((span) => span.attributes)).toEqual([
      expect.objectContaining({
        'pyflue.sandbox.name': 'virtual',
        'pyflue.sandbox.command': 'echo',
        'pyflue.sandbox.exit_code': 0,
        'pyflue.outcome': 'ok',
      }),
      expect.objectContaining({ 'pyflue.sandbox.command': 'cat', 'pyflue.outcome': 'error' }),
    ])
    // A command that exits non-zero ran: no ERROR status.
    expect(execs[1]!.status.code).toBe(0)
    expect(spansNamed(spans, 'pyflue.sandbox.file').map((span) => span.attributes)).toEqual([
      expect.objectContaining({ 'pyflue.sandbox.operation': 'readFile', 'pyflue.sandbox.path': '/note.txt' }),
      expect.objectContaining({
        'pyflue.sandbox.operation': 'writeFile',
        'pyflue.sandbox.path': '/data/out.txt',
      }),
    ])
    // No command text without recordCode.
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain('secret_word_8812')
    expect(await otel.sum(TELEMETRY_METRICS.sandboxCommands, { 'pyflue.outcome': 'ok' })).toBe(1)
    expect(await otel.sum(TELEMETRY_METRICS.sandboxCommands, { 'pyflue.outcome': 'error' })).toBe(1)
  })

  it('restrict() returns an instrumented view; a policy over the sandbox traces each command once', async () => {
    const otel = memoryTelemetry()
    const sandbox = await createVirtualSandbox({ telemetry: { tracer: otel.tracer, recordCode: true } })
    const view = sandbox.restrict!(resolveSandboxPolicy({ allowWrite: false }))
    expect((await view.exec('echo from-view')).exitCode).toBe(0)
    expect(oneSpan(otel.spans(), 'pyflue.sandbox.exec').attributes['pyflue.sandbox.command.text']).toBe(
      'echo from-view',
    )
    const governed = withSandboxPolicy(sandbox, { allowedCommands: ['echo'] })
    expect((await governed.exec('echo governed')).exitCode).toBe(0)
    await expect(governed.exec('ls')).rejects.toMatchObject({ code: 'COMMAND_REFUSED' })
    await sandbox.close()
    const execs = spansNamed(otel.spans(), 'pyflue.sandbox.exec')
    expect(execs.map((span) => span.attributes['pyflue.sandbox.command'])).toEqual(['echo', 'echo', 'ls'])
    expect(execs[2]!.attributes).toMatchObject({ 'error.type': 'CommandRefusedError' })
  })

  it('the factory instruments every sandbox and refuses unknown telemetry keys', async () => {
    const otel = memoryTelemetry()
    const factory = virtualSandbox({ policy: { allowWrite: false }, telemetry: { tracer: otel.tracer } })
    const sandbox = await factory.createSandbox({ id: 's' })
    await sandbox.exec('echo hi')
    await sandbox.close?.()
    expect(spansNamed(otel.spans(), 'pyflue.sandbox.exec')).toHaveLength(1)
    expect(() => virtualSandbox({ telemetry: { tracr: {} } as never })).toThrow(/Did you mean `tracer`/)
    await expect(createVirtualSandbox({ telemetry: {} })).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
