/**
 * A `Sandbox` that traces its shell commands and file operations. Each `exec` is a
 * `pyflue.sandbox.exec` span with the command's name (its first word; the full text only with
 * `recordCode`) and exit code, and a count in `pyflue.sandbox.commands`; a non-zero exit is an
 * outcome `error` but not an error status (the command ran). Reads, writes, `mkdir` and `rm` are
 * `pyflue.sandbox.file` spans with the operation and the absolute sandbox path. Metadata lookups (`stat`,
 * `exists`, `readdir`) are not traced: a `glob` or a `grep` makes thousands of them. A view
 * made by `restrict` is instrumented the same way. Everything else goes to the sandbox unchanged
 * (a `Proxy`).
 */

import type { ExecOptions, Sandbox, ShellResult } from '../sandbox.js'
import type { ResolvedSandboxPolicy } from '../sandbox-policy.js'
import { describeFailure } from './failure.js'
import { instrumentationOf, instrumented } from './forward.js'
import type { Telemetry } from './telemetry.js'
import { ATTR, SPAN } from './telemetry-names.js'
import type { TelemetryAttributes } from './telemetry-types.js'

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

/**
 * `sandbox` with its commands and file operations traced. `sandbox` itself when telemetry is
 * off, and when it is already instrumented (made with its own `telemetry` option, or wrapped
 * before): its operations are traced once, by the telemetry it has.
 */
export function instrumentSandbox<S extends Sandbox>(sandbox: S, telemetry: Telemetry): S {
  if (!telemetry.enabled || instrumentationOf(sandbox) !== undefined) return sandbox
  const sandboxName = sandbox.name
  const exec = (command: string, options?: ExecOptions): Promise<ShellResult> => {
    const attributes: TelemetryAttributes = {
      [ATTR.sandbox]: sandboxName,
      [ATTR.command]: typeof command === 'string' ? commandName(command) : undefined,
    }
    if (telemetry.recordCode && typeof command === 'string') attributes[ATTR.commandText] = command
    return telemetry.spanAsync(SPAN.sandboxExec, attributes, (span) =>
      sandbox.exec(command, options).then(
        (result) => {
          const outcome = result.exitCode === 0 ? 'ok' : 'error'
          span?.setAttributes({ [ATTR.exitCode]: result.exitCode, [ATTR.outcome]: outcome })
          telemetry.recordCommand(sandboxName, outcome)
          return result
        },
        (error: unknown) => {
          const { outcome } = describeFailure(error)
          telemetry.recordCommand(sandboxName, outcome)
          if (outcome === 'aborted') telemetry.recordAbort('sandbox.exec')
          throw error
        },
      ),
    )
  }
  const replaced: Record<string, unknown> = { exec }
  for (const operation of FILE_OPERATIONS) {
    const method = (sandbox as unknown as Record<string, unknown>)[operation]
    if (typeof method !== 'function') continue
    replaced[operation] = (path: unknown, ...rest: unknown[]) =>
      telemetry.spanAsync(
        SPAN.sandboxFile,
        {
          [ATTR.sandbox]: sandboxName,
          [ATTR.fileOperation]: operation,
          [ATTR.path]: sandboxPath(sandbox, path),
        },
        () => method.call(sandbox, path, ...rest) as Promise<unknown>,
      )
  }
  const restrict = sandbox.restrict
  if (typeof restrict === 'function') {
    replaced.restrict = (policy: ResolvedSandboxPolicy) =>
      instrumentSandbox(restrict.call(sandbox, policy), telemetry)
  }
  return instrumented(sandbox, telemetry, replaced)
}
