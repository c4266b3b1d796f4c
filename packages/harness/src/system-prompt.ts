import { type Sandbox, SandboxLimitError, truncateText } from '@pyflue/core'
import { readBoundedText } from './bounded-read.js'

/** The file in the sandbox's working directory whose text goes into the system prompt. */
export const AGENTS_FILE = 'AGENTS.md'

const MAX_AGENTS_FILE_CHARS = 20_000
/** The largest `AGENTS.md` read into the system prompt, in bytes. */
export const MAX_AGENTS_FILE_BYTES = 256 * 1024

/** What the system prompt is built from. */
export interface SystemPromptParts {
  hasPython: boolean
  sandbox?: Sandbox | undefined
  instructions?: string | undefined
  /**
   * Whether to describe the built-in loop's tools (`run_code`, read, write, …). Default true;
   * false for another harness, which describes its own tools (the workspace's `AGENTS.md` and the
   * instructions stay).
   */
  describeTools?: boolean
}

/**
 * The system prompt of one prompt: a short description of the tools, then `AGENTS.md` from the
 * sandbox's working directory (read afresh for every prompt; skipped when missing or
 * unreadable; named, not read, above 256 KiB), then the application's `instructions`.
 */
export async function buildSystemPrompt(parts: SystemPromptParts): Promise<string> {
  const sections: string[] = ['You are a capable assistant working in a PyFlue session.']
  const describeTools = parts.describeTools ?? true
  if (parts.hasPython && describeTools) {
    sections.push(
      'You have a `run_code` tool that runs Python in a persistent session. Use it for calculations, data analysis and anything that must be exact; read its output before you answer.',
    )
  }
  if (parts.sandbox) {
    if (describeTools)
      sections.push(
        `You have a sandbox with files; its working directory is ${parts.sandbox.cwd}. Use the read, write, edit, glob, grep and bash tools to work with its files.`,
      )
    const agentsFile = await readAgentsFile(parts.sandbox)
    if (agentsFile !== undefined) {
      sections.push(`## ${AGENTS_FILE} (project instructions from the workspace)\n\n${agentsFile}`)
    }
  }
  if (parts.instructions !== undefined && parts.instructions.trim() !== '') {
    sections.push(`## Instructions\n\n${parts.instructions.trim()}`)
  }
  return sections.join('\n\n')
}

/**
 * `AGENTS.md`, read only when it is a regular file of at most `MAX_AGENTS_FILE_BYTES` (its size
 * is looked at first); a bigger one is named, not read, so the model can read parts of it.
 */
async function readAgentsFile(sandbox: Sandbox): Promise<string | undefined> {
  try {
    if (!(await sandbox.exists(AGENTS_FILE))) return undefined
    const text = await readBoundedText(sandbox, AGENTS_FILE, MAX_AGENTS_FILE_BYTES, 'AGENTS.md loader')
    return text.trim() === '' ? undefined : truncateText(text.trim(), MAX_AGENTS_FILE_CHARS)
  } catch (error) {
    if (error instanceof SandboxLimitError) {
      return `(${sandbox.resolvePath(AGENTS_FILE)} is larger than ${MAX_AGENTS_FILE_BYTES} bytes and was not loaded; read parts of it with the bash tool if you need them.)`
    }
    return undefined
  }
}
