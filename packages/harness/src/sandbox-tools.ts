import {
  DEFAULT_MAX_OUTPUT_CHARS,
  getSandboxPolicy,
  InvalidArgumentError,
  raceAbort,
  type Sandbox,
  SandboxLimitError,
  truncateText,
} from '@pyflue/core'
import { type Tool, tool } from 'ai'
import { z } from 'zod'
import { readBoundedText } from './bounded-read.js'
import { formatToolError } from './format-tool-error.js'
import { globMatcher } from './glob-pattern.js'
import { checkGrepPattern } from './grep-pattern.js'
import { grepFiles } from './grep-search.js'
import { sandboxHostPathScrubber } from './host-paths.js'
import { clampModelChoice, resolveSandboxToolLimits, type SandboxToolLimits } from './tool-limits.js'
import { walkSandboxFiles } from './walk-sandbox.js'

/** Options of `sandboxTools`: the output cap and the bounds of `SandboxToolLimits`. */
export interface SandboxToolsOptions extends SandboxToolLimits {
  /** Cap on each tool's text output, in characters. Default 8000. */
  maxOutputChars?: number
}

/** The file and shell tools the model gets for a sandbox. */
export interface SandboxToolSet {
  read: Tool<{ path: string; offset?: number | undefined; limit?: number | undefined }, string>
  write: Tool<{ path: string; content: string }, string>
  edit: Tool<{ path: string; oldText: string; newText: string; replaceAll?: boolean | undefined }, string>
  glob: Tool<{ pattern: string; path?: string | undefined }, string>
  grep: Tool<
    {
      pattern: string
      path?: string | undefined
      include?: string | undefined
      ignoreCase?: boolean | undefined
    },
    string
  >
  bash: Tool<{ command: string; timeoutMs?: number | undefined }, string>
}

const MAX_MATCHES = 200
/** Most lines one `read` call shows (its `limit` is clamped to this). */
const MAX_READ_LINES = 2000
const MAX_GREP_FILE_BYTES = 2_000_000

/**
 * `read`, `write`, `edit`, `glob`, `grep` and `bash` over `sandbox`, as AI SDK tools. They call
 * the sandbox's own verbs, so a sandbox wrapped with `withSandboxPolicy` refuses what its policy
 * refuses; a refusal or a file error comes back to the model as text starting with `Error`.
 * Output is truncated with a marker. An abort stops a tool call and rejects it.
 */
export function sandboxTools(sandbox: Sandbox, options: SandboxToolsOptions = {}): SandboxToolSet {
  const { maxOutputChars, ...given } = options
  const limits = resolveSandboxToolLimits(given, 'sandboxTools options', ['maxOutputChars'])
  if (maxOutputChars !== undefined && (!Number.isSafeInteger(maxOutputChars) || maxOutputChars < 1)) {
    throw new InvalidArgumentError(
      'sandboxTools options.maxOutputChars',
      'maxOutputChars must be a positive integer.',
    )
  }
  const maxChars = maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS
  const { bashTimeoutMs, maxBashTimeoutMs, grepTimeoutMs, maxFilesScanned: maxFiles, maxReadBytes } = limits
  const policy = getSandboxPolicy(sandbox)
  const readOnlyNote = policy && !policy.allowWrite ? ' Writes are disabled by the sandbox policy.' : ''
  const shellNote = policy
    ? !policy.allowShell
      ? ' Shell commands are disabled by the sandbox policy.'
      : policy.allowedCommands
        ? ` Only these commands are allowed, one per call: ${policy.allowedCommands.join(', ')}.`
        : ''
    : ''

  // Every text the model reads has the sandbox's host directories rewritten to sandbox paths.
  const scrub = sandboxHostPathScrubber(sandbox)
  const guarded = async (signal: AbortSignal | undefined, work: () => Promise<string>): Promise<string> => {
    try {
      return truncateText(scrub(await raceAbort(work(), signal)), maxChars)
    } catch (error) {
      return truncateText(formatToolError(error, scrub), maxChars)
    }
  }

  return {
    read: tool({
      description: `Read a text file from the sandbox (working directory ${sandbox.cwd}). Lines are numbered. Use offset (1-based line) and limit (line count) for long files.`,
      inputSchema: z.object({
        path: z.string().describe('File path, absolute or relative to the working directory.'),
        offset: z.number().int().min(1).optional().describe('First line to show, 1-based.'),
        limit: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe(`Number of lines to show. Default and most: ${MAX_READ_LINES}.`),
      }),
      execute: ({ path, offset, limit }, { abortSignal }) =>
        guarded(abortSignal, async () => {
          const text = await readBoundedText(sandbox, path, maxReadBytes, 'read')
          const lines = text.split('\n')
          if (lines.at(-1) === '') lines.pop()
          const start = (offset ?? 1) - 1
          const shown = lines.slice(start, start + clampModelChoice(limit, MAX_READ_LINES, MAX_READ_LINES))
          if (shown.length === 0)
            return `(${sandbox.resolvePath(path)} has ${lines.length} lines; nothing at line ${start + 1})`
          const numbered = shown.map((line, i) => `${String(start + i + 1).padStart(6)}\t${line}`).join('\n')
          const rest = lines.length - start - shown.length
          return rest > 0 ? `${numbered}\n(${rest} more lines)` : numbered
        }),
    }),
    write: tool({
      description: `Create or replace a file in the sandbox with the given content; missing parent directories are created.${readOnlyNote}`,
      inputSchema: z.object({
        path: z.string().describe('File path, absolute or relative to the working directory.'),
        content: z.string().describe('The complete new content of the file.'),
      }),
      execute: ({ path, content }, { abortSignal }) =>
        guarded(abortSignal, async () => {
          await sandbox.writeFile(path, content)
          return `Wrote ${Buffer.byteLength(content)} bytes to ${sandbox.resolvePath(path)}.`
        }),
    }),
    edit: tool({
      description: `Replace text in a sandbox file. oldText must occur exactly once unless replaceAll is true.${readOnlyNote}`,
      inputSchema: z.object({
        path: z.string().describe('File path, absolute or relative to the working directory.'),
        oldText: z.string().min(1).describe('The exact text to replace.'),
        newText: z.string().describe('The replacement text.'),
        replaceAll: z.boolean().optional().describe('Replace every occurrence. Default false.'),
      }),
      execute: ({ path, oldText, newText, replaceAll }, { abortSignal }) =>
        guarded(abortSignal, async () => {
          const text = await readBoundedText(sandbox, path, maxReadBytes, 'edit')
          const pieces = text.split(oldText)
          const count = pieces.length - 1
          const where = sandbox.resolvePath(path)
          if (count === 0) return `Error: the text to replace was not found in ${where}; nothing changed.`
          if (count > 1 && !replaceAll) {
            return `Error: the text to replace occurs ${count} times in ${where}; give more context or set replaceAll. Nothing changed.`
          }
          // The new text's size is known before it is built: refuse it above the same limit.
          const newLength = text.length + count * (newText.length - oldText.length)
          if (newLength > maxReadBytes) {
            throw new SandboxLimitError({
              limit: 'maxFileBytes',
              value: maxReadBytes,
              message: `Replacing ${count} occurrences would make ${where} ${newLength} characters long, more than the edit tool's limit of ${maxReadBytes}. Nothing changed.`,
            })
          }
          await sandbox.writeFile(path, pieces.join(newText))
          return `Replaced ${count} occurrence${count === 1 ? '' : 's'} in ${where}.`
        }),
    }),
    glob: tool({
      description:
        "Find files in the sandbox whose path matches a glob pattern (e.g. '**/*.csv', 'src/*.{ts,js}'), relative to path (default: the working directory).",
      inputSchema: z.object({
        pattern: z.string().min(1).describe('Glob pattern, relative to path.'),
        path: z.string().optional().describe('Directory to search from.'),
      }),
      execute: ({ pattern, path }, { abortSignal }) =>
        guarded(abortSignal, async () => {
          const root = sandbox.resolvePath(path ?? '.')
          const matcher = globMatcher(pattern.replace(/^\.\//, ''))
          const { files, truncated } = await walkSandboxFiles(sandbox, root, maxFiles)
          const found = files
            .filter((file) => matcher.test(file.relative))
            .map((file) => file.path)
            .sort()
          const lines = found.length === 0 ? [`No files under ${root} match ${pattern}.`] : found
          if (truncated) lines.push(`(stopped after looking at ${maxFiles} entries)`)
          return lines.join('\n')
        }),
    }),
    grep: tool({
      description:
        'Search file contents in the sandbox with a regular expression (RE2 syntax: like JavaScript, without lookaround or backreferences). Prints path:line: text for each match.',
      inputSchema: z.object({
        pattern: z.string().min(1).describe('Regular expression.'),
        path: z.string().optional().describe('File or directory to search. Default: the working directory.'),
        include: z.string().optional().describe("Glob of files to search, e.g. '*.py' or '**/*.md'."),
        ignoreCase: z.boolean().optional(),
      }),
      execute: ({ pattern, path, include, ignoreCase }, { abortSignal }) =>
        guarded(abortSignal, async () => {
          // The pattern is bounded before it is compiled; it is compiled and matched in a worker
          // thread that the deadline and the abort signal terminate (see grep-search.ts).
          checkGrepPattern(pattern)
          const root = sandbox.resolvePath(path ?? '.')
          const stat = await sandbox.stat(root)
          const { files, truncated } = stat.isDirectory
            ? await walkSandboxFiles(sandbox, root, maxFiles)
            : { files: [{ path: root, relative: root.slice(root.lastIndexOf('/') + 1) }], truncated: false }
          const includeMatcher = include
            ? globMatcher(include.includes('/') ? include : `**/${include}`)
            : undefined
          const selected = files
            .filter((file) => !includeMatcher || includeMatcher.test(file.relative))
            .sort((a, b) => a.path.localeCompare(b.path))
          const { matches, stoppedAtMax } = await grepFiles(sandbox, {
            pattern,
            ignoreCase: ignoreCase ?? false,
            files: selected,
            maxMatches: MAX_MATCHES,
            maxFileBytes: MAX_GREP_FILE_BYTES,
            timeoutMs: grepTimeoutMs,
            signal: abortSignal,
          })
          if (stoppedAtMax) matches.push(`(stopped after ${MAX_MATCHES} matches)`)
          else if (truncated) matches.push(`(stopped after looking at ${maxFiles} entries)`)
          return matches.length === 0 ? `No matches for /${pattern}/ under ${root}.` : matches.join('\n')
        }),
    }),
    bash: tool({
      description: `Run a shell command in the sandbox (working directory ${sandbox.cwd}). Returns the exit code, stdout and stderr.${shellNote}${readOnlyNote}`,
      inputSchema: z.object({
        command: z.string().min(1).describe('The command line.'),
        timeoutMs: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(`Deadline in milliseconds. Default ${bashTimeoutMs}, at most ${maxBashTimeoutMs}.`),
      }),
      execute: ({ command, timeoutMs }, { abortSignal }) =>
        guarded(abortSignal, async () => {
          // The model's deadline is clamped to the application's maximum.
          const deadline = clampModelChoice(timeoutMs, bashTimeoutMs, maxBashTimeoutMs)
          const result = await sandbox.exec(command, {
            timeoutMs: deadline,
            ...(abortSignal ? { signal: abortSignal } : {}),
          })
          const parts = [`exit code: ${result.exitCode}`]
          if (timeoutMs !== undefined && deadline < timeoutMs)
            parts.push(`(timeoutMs lowered to ${deadline}, the most allowed)`)
          if (result.stdout !== '') parts.push(`stdout:\n${result.stdout.replace(/\n$/, '')}`)
          if (result.stderr !== '') parts.push(`stderr:\n${result.stderr.replace(/\n$/, '')}`)
          return parts.join('\n')
        }),
    }),
  }
}
