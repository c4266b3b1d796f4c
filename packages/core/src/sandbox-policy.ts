import { CommandRefusedError, WriteRefusedError } from './errors/sandbox-errors.js'
import { refuseUnknownKeys } from './option-keys.js'
import type { ExecOptions, HostDirectoryMount, Sandbox, ShellResult } from './sandbox.js'
import { analyzeShellCommand } from './shell-command.js'

/**
 * What a sandbox may do. Every field is optional; the defaults allow everything.
 */
export interface SandboxPolicy {
  /** `false` refuses `writeFile`, `mkdir`, `rm` and shell output redirections. Default `true`. */
  allowWrite?: boolean
  /** `false` refuses every `exec`. Default `true`. */
  allowShell?: boolean
  /**
   * When set, `exec` runs only command lines whose every command word is in this list, and
   * refuses command substitution (`$(…)`, backticks, `<(…)`). Commands that run their
   * arguments as commands (`xargs`, `env`, `sh`, `bash`, `find -exec`, `timeout`) allow
   * anything through them: list them only if you mean it.
   */
  allowedCommands?: readonly string[]
  /**
   * Refuse command lines with more than one command (`;`, `&&`, `||`, `|`, `&`, newlines,
   * subshells, groups) and command substitution. Default: `true` when `allowedCommands` is
   * set, `false` otherwise.
   */
  blockCompoundCommands?: boolean
}

/** The policy with its defaults applied. */
export interface ResolvedSandboxPolicy {
  readonly allowWrite: boolean
  readonly allowShell: boolean
  readonly allowedCommands: readonly string[] | undefined
  readonly blockCompoundCommands: boolean
}

/** Applies the documented defaults to a policy. */
const SANDBOX_POLICY_KEYS = Object.keys({
  allowWrite: true,
  allowShell: true,
  allowedCommands: true,
  blockCompoundCommands: true,
} satisfies Record<keyof SandboxPolicy, true>)

export function resolveSandboxPolicy(policy: SandboxPolicy = {}): ResolvedSandboxPolicy {
  refuseUnknownKeys(policy, SANDBOX_POLICY_KEYS, 'sandbox policy')
  return {
    allowWrite: policy.allowWrite ?? true,
    allowShell: policy.allowShell ?? true,
    allowedCommands: policy.allowedCommands,
    blockCompoundCommands: policy.blockCompoundCommands ?? policy.allowedCommands !== undefined,
  }
}

/**
 * Checks one command line against a policy. Returns the refusal, or `undefined` when it may run.
 * Pure: runs nothing.
 */
export function checkCommand(policy: SandboxPolicy, command: string): CommandRefusedError | undefined {
  const rules = resolveSandboxPolicy(policy)
  if (!rules.allowShell) {
    return new CommandRefusedError({
      command,
      reason: 'shell-disabled',
      message: "Shell commands are disabled by this sandbox's policy (allowShell: false).",
    })
  }
  const strict = rules.blockCompoundCommands || rules.allowedCommands !== undefined
  if (!strict && rules.allowWrite) return undefined
  const analysis = analyzeShellCommand(command)
  if (strict && analysis.incomplete) {
    return new CommandRefusedError({
      command,
      reason: 'compound',
      message: 'Command refused: it has an unclosed quote, so the policy cannot check it.',
    })
  }
  if (strict && analysis.substitution) {
    return new CommandRefusedError({
      command,
      reason: 'substitution',
      message:
        "Command refused: command substitution ($(…), backticks, <(…)) is not allowed by this sandbox's policy.",
    })
  }
  if (rules.blockCompoundCommands && analysis.compound) {
    return new CommandRefusedError({
      command,
      reason: 'compound',
      message:
        "Command refused: compound commands (;, &&, ||, |, &, newlines, subshells) are not allowed by this sandbox's policy. Run one command at a time.",
    })
  }
  if (rules.allowedCommands) {
    for (const { name } of analysis.commands) {
      if (name === undefined || !rules.allowedCommands.includes(name)) {
        return new CommandRefusedError({
          command,
          reason: 'not-allowed',
          ...(name === undefined ? {} : { commandName: name }),
          message: `Command refused: '${name ?? command}' is not in this sandbox's allowed commands (${rules.allowedCommands.join(', ')}).`,
        })
      }
    }
  }
  if (!rules.allowWrite && analysis.writeRedirect) {
    return new CommandRefusedError({
      command,
      reason: 'write-redirect',
      message:
        "Command refused: output redirection to a file is a write, and this sandbox's policy does not allow writes.",
    })
  }
  return undefined
}

/**
 * Wraps any sandbox so that it obeys `policy`. Refusals reject with `CommandRefusedError` or
 * `WriteRefusedError` before the wrapped sandbox is called, so nothing happens. Reads pass
 * through. With `allowWrite: false`, `hostMounts()` reports every mount as read-only.
 *
 * `allowWrite: false` cannot see inside commands: `cp`, `rm` or `sed -i` write through the
 * shell unless `allowedCommands` leaves them out (a sandbox may enforce read-only files
 * itself; `@pyflue/sandbox-virtual` does).
 */
export function withSandboxPolicy(sandbox: Sandbox, policy: SandboxPolicy): Sandbox {
  const rules = resolveSandboxPolicy(policy)
  const refuseWrite = (operation: string, path: string) =>
    Promise.reject(new WriteRefusedError({ operation, path: sandbox.resolvePath(path) }))

  const wrapped: Sandbox = {
    name: sandbox.name,
    contractVersion: sandbox.contractVersion,
    ...(sandbox.id === undefined ? {} : { id: sandbox.id }),
    get cwd() {
      return sandbox.cwd
    },
    resolvePath: (path) => sandbox.resolvePath(path),
    exec(command: string, options?: ExecOptions): Promise<ShellResult> {
      const refusal = checkCommand(rules, command)
      return refusal ? Promise.reject(refusal) : sandbox.exec(command, options)
    },
    readFile: (path) => sandbox.readFile(path),
    readFileBuffer: (path) => sandbox.readFileBuffer(path),
    writeFile: (path, content) =>
      rules.allowWrite ? sandbox.writeFile(path, content) : refuseWrite('writeFile', path),
    stat: (path) => sandbox.stat(path),
    readdir: (path) => sandbox.readdir(path),
    exists: (path) => sandbox.exists(path),
    mkdir: (path, options) => (rules.allowWrite ? sandbox.mkdir(path, options) : refuseWrite('mkdir', path)),
    rm: (path, options) => (rules.allowWrite ? sandbox.rm(path, options) : refuseWrite('rm', path)),
  }
  if (sandbox.hostMounts) {
    const mounts = sandbox.hostMounts.bind(sandbox)
    wrapped.hostMounts = (): readonly HostDirectoryMount[] =>
      rules.allowWrite ? mounts() : mounts().map((mount) => ({ ...mount, mode: 'read-only' as const }))
  }
  if (sandbox.close) {
    const close = sandbox.close.bind(sandbox)
    wrapped.close = (options) => close(options)
  }
  Object.defineProperty(wrapped, 'policy', { value: rules, enumerable: false })
  return wrapped
}

/** The policy a sandbox was wrapped with by `withSandboxPolicy`, if any. */
export function getSandboxPolicy(sandbox: Sandbox): ResolvedSandboxPolicy | undefined {
  return (sandbox as { policy?: ResolvedSandboxPolicy }).policy
}
