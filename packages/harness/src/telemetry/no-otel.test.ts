// Without `@opentelemetry/api` visible to the harness, everything works with telemetry off, and
// nothing of ours tries to load it. Runs in a child process whose module hooks refuse the
// package to the harness and core (test/no-otel.hooks.mjs).
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

describe('without @opentelemetry/api', () => {
  it('a prompt with run_code, a tool, bash and runPython works; telemetry: true rejects', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        join(root, 'test', 'no-otel.register.mjs'),
        join(root, 'test', 'no-otel.child.ts'),
      ],
      { cwd: root, timeout: 120_000, maxBuffer: 1_000_000 },
    )
    const report = JSON.parse(stdout) as { reply: string; steps: number; run: unknown; telemetryTrue: string }
    expect(report.reply).toBe('result: 42 / exit code: 0\nstdout:\nhi')
    expect(report.steps).toBe(3)
    expect(report.run).toBe(42)
    expect(report.telemetryTrue).toBe('rejected: ERR_MODULE_NOT_FOUND')
  })
})
