/**
 * A `Sandbox` that traces its shell commands and file operations. Each `exec` is a
 * `pyflue.sandbox.exec` span with the command's name (its first word; the full text only with
 * `recordCode`) and exit code, and a count in `pyflue.sandbox.commands`; a non-zero exit is an
 * outcome `error` but not an error status (the command ran). Reads, writes, `mkdir` and `rm` are
 * `pyflue.sandbox.file` spans with the operation and the absolute sandbox path. Metadata lookups (`stat`,
 * `exists`, `readdir`) are not traced: a `glob` or a `grep` makes thousands of them. Everything
 * else goes to the sandbox unchanged (a `Proxy`).
 */
import type { ExecOptions, Sandbox, ShellResult } from '@pyflue/core'
import { ATTR, SPAN } from './attributes.js'
import { describeFailure } from './failure.js'
import { forwardingHandler } from './forward.js'
import type { Telemetry } from './telemetry.js'

const FILE_OPERATIONS: ReadonlySet<string> = new Set([
  'readFile',
  'readFileBuffer',
  'writeFile',
  'mkdir',
  'rm',
])

/** The first word of a shell command: what `pyflue.sandbox.command` records. */
export function commandName(command: string): string {
  return command.trim().split(/\s+/, 1)[0] ?? ''
}

/** The absolute sandbox path of `path` (as given when the sandbox refuses to resolve it). */
function sandboxPath(sandbox: Sandbox, path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined
  try {
    return sandbox.resolvePath(path)
  } catch {
    return path
  }
}

/** `sandbox` with its commands and file operations traced; `sandbox` itself when telemetry is off. */
export function instrumentSandbox(sandbox: Sandbox, telemetry: Telemetry): Sandbox {
  if (!telemetry.enabled) return sandbox
  const exec = (command: string, options?: ExecOptions): Promise<ShellResult> => {
    const sandboxName = sandbox.name
    const attributes = {
      [ATTR.sandbox]: sandboxName,
      [ATTR.command]: typeof command === 'string' ? commandName(command) : undefined,
      ...(telemetry.recordCode && typeof command === 'string' ? { [ATTR.commandText]: command } : {}),
    }
    return telemetry.spanAsync(SPAN.sandboxExec, attributes, async (span) => {
      try {
        const result = await sandbox.exec(command, options)
        const outcome = result.exitCode === 0 ? 'ok' : 'error'
        span?.setAttributes({ [ATTR.exitCode]: result.exitCode, [ATTR.outcome]: outcome })
        telemetry.recordCommand(sandboxName, outcome)
        return result
      } catch (error) {
        const { outcome } = describeFailure(error)
        telemetry.recordCommand(sandboxName, outcome)
        if (outcome === 'aborted') telemetry.recordAbort('sandbox.exec')
        throw error
      }
    })
  }
  const replaced: Record<string, unknown> = { exec }
  for (const operation of FILE_OPERATIONS) {
    const method = (sandbox as unknown as Record<string, unknown>)[operation]
    if (typeof method !== 'function') continue
    replaced[operation] = (path: unknown, ...rest: unknown[]) =>
      telemetry.span(
        SPAN.sandboxFile,
        {
          [ATTR.sandbox]: sandbox.name,
          [ATTR.fileOperation]: operation,
          [ATTR.path]: sandboxPath(sandbox, path),
        },
        () => method.call(sandbox, path, ...rest),
      )
  }
  return new Proxy(sandbox, forwardingHandler<Sandbox>(replaced))
}
