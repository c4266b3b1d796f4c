import { CommandRefusedError, WriteRefusedError } from './errors/sandbox-errors.js'
import { refuseUnknownKeys } from './option-keys.js'
import type { ExecOptions, HostDirectoryMount, Sandbox, ShellResult } from './sandbox.js'
import { analyzeShellCommand } from './shell-command.js'
import { instrumentationOf } from './telemetry/forward.js'
import { instrumentSandbox } from './telemetry/instrument-sandbox.js'

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
 * The policy that allows only what both `a` and `b` allow: writes and the shell only when both
 * allow them, only the commands both list (either list alone when only one has one), compound
 * commands blocked when either blocks them. Used when a policy is applied over another.
 */
export function combineSandboxPolicies(a: SandboxPolicy, b: SandboxPolicy): ResolvedSandboxPolicy {
  const left = resolveSandboxPolicy(a)
  const right = resolveSandboxPolicy(b)
  const allowedCommands =
    left.allowedCommands && right.allowedCommands
      ? left.allowedCommands.filter((name) => right.allowedCommands!.includes(name))
      : (left.allowedCommands ?? right.allowedCommands)
  return {
    allowWrite: left.allowWrite && right.allowWrite,
    allowShell: left.allowShell && right.allowShell,
    allowedCommands,
    blockCompoundCommands: left.blockCompoundCommands || right.blockCompoundCommands,
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

/** The sandbox each policy wrapper was made over, so a second policy applies to the original. */
const wrappedBases = new WeakMap<Sandbox, Sandbox>()

/**
 * Wraps any sandbox so that it obeys `policy`. This is the one way a policy is applied: the
 * harness, the sandbox packages' own `policy` options and applications all call it, so a policy
 * has the same effect wherever it is given.
 * - Refusals reject with `CommandRefusedError` or `WriteRefusedError` before the wrapped sandbox
 *   is called, so nothing happens. Reads pass through.
 * - When the sandbox has `restrict(policy)`, the wrapper is made over the view it returns, which
 *   enforces the policy inside the sandbox too (`@pyflue/sandbox-virtual` makes its files
 *   read-only for every shell command under `allowWrite: false`). Without it, `allowWrite: false`
 *   cannot see inside commands: `cp`, `rm` or `sed -i` write through the shell unless
 *   `allowedCommands` leaves them out.
 * - With `allowWrite: false`, `hostMounts()` and `openHostMounts()` report every mount as read-only.
 * - Wrapping a wrapped sandbox applies both policies (`combineSandboxPolicies`) over the original.
 * - An instrumented sandbox (`instrumentSandbox`, a sandbox made with a `telemetry` option) gives
 *   an instrumented wrapper, with the same telemetry, over the uninstrumented view: every
 *   operation, refused or not, is traced once.
 */
export function withSandboxPolicy(outer: Sandbox, policy: SandboxPolicy): Sandbox {
  const earlier = getSandboxPolicy(outer)
  const base = wrappedBases.get(outer) ?? outer
  const rules = earlier ? combineSandboxPolicies(earlier, policy) : resolveSandboxPolicy(policy)
  const view = base.restrict ? base.restrict(rules) : base
  const instrumentation = instrumentationOf(view)
  const sandbox = instrumentation ? instrumentation.target : view
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
      rules.allowWrite ? mounts() : mounts().map(readOnlyMount)
  }
  if (sandbox.openHostMounts) {
    const open = sandbox.openHostMounts.bind(sandbox)
    wrapped.openHostMounts = async () => {
      const lease = await open()
      return rules.allowWrite
        ? lease
        : { mounts: lease.mounts.map(readOnlyMount), release: () => lease.release() }
    }
  }
  if (sandbox.close) {
    const close = sandbox.close.bind(sandbox)
    wrapped.close = (options) => close(options)
  }
  Object.defineProperty(wrapped, 'policy', { value: rules, enumerable: false })
  const result = instrumentation ? instrumentSandbox(wrapped, instrumentation.telemetry) : wrapped
  wrappedBases.set(result, base)
  return result
}

/** `mount`, read-only. */
function readOnlyMount(mount: HostDirectoryMount): HostDirectoryMount {
  return { ...mount, mode: 'read-only' }
}

/** The policy a sandbox was wrapped with by `withSandboxPolicy`, if any. */
export function getSandboxPolicy(sandbox: Sandbox): ResolvedSandboxPolicy | undefined {
  return (sandbox as { policy?: ResolvedSandboxPolicy }).policy
}
