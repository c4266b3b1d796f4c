import type { StandardSchemaV1Issue } from '../standard-schema.js'
import { ErrorCodes, PyFlueError } from './pyflue-error.js'

/** A built-in name resolved to a package that is not installed. The message names the install command. */
export class PackageNotInstalledError extends PyFlueError {
  /** The npm package, e.g. `'@pyflue/backend-monty'`. */
  readonly packageName: string
  /** The command that installs it, e.g. `'pnpm add @pyflue/backend-monty'`. */
  readonly installCommand: string

  constructor(init: { packageName: string; what: string; cause?: unknown }) {
    const installCommand = `pnpm add ${init.packageName}`
    super(
      ErrorCodes.PACKAGE_NOT_INSTALLED,
      `${init.what} needs the package ${init.packageName}, which is not installed. Install it with: ${installCommand} (or npm install ${init.packageName}).`,
      { cause: init.cause },
    )
    this.packageName = init.packageName
    this.installCommand = installCommand
  }
}

/** A name was looked up in the registry and nothing is registered under it. */
export class NotRegisteredError extends PyFlueError {
  readonly kind: 'pythonBackend' | 'sandbox' | 'harness'
  readonly registeredName: string
  readonly known: readonly string[]

  constructor(init: {
    kind: 'pythonBackend' | 'sandbox' | 'harness'
    name: string
    known: readonly string[]
  }) {
    super(
      ErrorCodes.NOT_REGISTERED,
      `No ${init.kind === 'pythonBackend' ? 'Python backend' : init.kind === 'sandbox' ? 'sandbox' : 'harness'} is registered as '${init.name}'. Known names: ${init.known.join(', ')}.`,
    )
    this.kind = init.kind
    this.registeredName = init.name
    this.known = init.known
  }
}

/** A feature was used that the session was not configured for; says what to configure. */
export class NotConfiguredError extends PyFlueError {
  /** What is missing, e.g. `'pythonBackend'`. */
  readonly missing: string

  constructor(missing: string, message: string) {
    super(ErrorCodes.NOT_CONFIGURED, message)
    this.missing = missing
  }
}

/** A result did not pass its Standard Schema validator. */
export class ResultValidationError extends PyFlueError {
  /** The validator's issues, unchanged. */
  readonly issues: readonly StandardSchemaV1Issue[]
  /** The value that was validated. */
  readonly value: unknown

  constructor(issues: readonly StandardSchemaV1Issue[], value: unknown) {
    super(ErrorCodes.RESULT_VALIDATION, `The result failed validation:\n${formatIssues(issues)}`)
    this.issues = issues
    this.value = value
  }
}

function formatIssues(issues: readonly StandardSchemaV1Issue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path
        ?.map((segment) => (typeof segment === 'object' ? segment.key : segment))
        .map(String)
        .join('.')
      return `- ${path ? `${path}: ` : ''}${issue.message}`
    })
    .join('\n')
}
