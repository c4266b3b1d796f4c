// The `Harness` contract: the model loop behind one prompt of a session. `@pyflue/harness`'s
// sessions keep the history, the Python backend, the sandbox and the store; a harness gets them
// for one prompt, runs its model (calling `run_code` and the other tools) until it answers, and
// returns the reply and the messages it added. `@pyflue/deepagents` implements it on Deep Agents;
// third parties implement it to run sessions on their own agent framework.
import type { PythonBackend, PythonRunResult, ResourceLimits } from './python-backend.js'
import type { Sandbox } from './sandbox.js'

/**
 * The contract version this file describes. A harness states the version it implements in
 * `Harness.contractVersion`; a new major version of the contract is a new number.
 */
export const HARNESS_CONTRACT_VERSION = 1 as const

/**
 * Why a prompt's last model step ended: `'stop'` when the model answered, `'tool-calls'` when it
 * still wanted to call tools, `'length'` at its output token limit, `'content-filter'`,
 * `'error'` or `'other'`.
 */
export type HarnessFinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other'

/** Tokens a prompt used, as far as the model reported them. */
export interface HarnessUsage {
  inputTokens: number | undefined
  outputTokens: number | undefined
  totalTokens: number | undefined
}

/**
 * What a harness reports while a prompt runs. The session forwards them to `session.stream()`,
 * except `'run-code'`, which goes to the prompt's `onRunCode` callback.
 */
export type HarnessEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; toolCallId: string; toolName: string; input: unknown; output: unknown }
  | { type: 'tool-error'; toolCallId: string; toolName: string; input: unknown; error: unknown }
  /** A chunk the Python of the `run_code` call `toolCallId` printed, while it runs (before its `tool-result`). */
  | { type: 'run-code-stdout'; toolCallId: string; text: string }
  /** A `run_code` call finished: its code, the run (or the error) and the text the model reads. */
  | HarnessRunCodeEvent

/** What one `run_code` call did (an event of type `'run-code'`). */
export interface HarnessRunCodeEvent {
  type: 'run-code'
  toolCallId: string
  code: string
  /** The run, when it succeeded. */
  run?: PythonRunResult
  /** The error, when it failed. */
  error?: unknown
  /** The text returned to the model. */
  output: string
}

/**
 * Prompt options a harness may honour beyond `signal` and `maxSteps` (see `Harness.promptOptions`):
 * `'result'`, a structured reply (`HarnessPromptInput.result` → `HarnessPromptResult.result`);
 * `'onRunCode'`, `'run-code'` events for every `run_code` call.
 */
export type HarnessPromptOption = 'result' | 'onRunCode'

/** One prompt, as a session hands it to its harness. */
export interface HarnessPromptInput {
  /** The session's id (stable across processes: a harness may key its own caches on it). */
  sessionId: string
  /** The user's prompt text (non-empty). */
  text: string
  /**
   * The session's history before this prompt, in this harness's own message format: exactly the
   * `messages` its earlier replies returned (JSON values, as the session store kept them).
   */
  messages: readonly unknown[]
  /** The model, as the application gave it to `init()`; the harness checked it with `checkModel`. */
  model: unknown
  /**
   * The system prompt the session built: a line saying this is a PyFlue session, the workspace's
   * `AGENTS.md`, then the application's `instructions`. It does not describe tools: the harness
   * describes its own.
   */
  system: string
  /** The application's tools, in this harness's tool format (they are the harness's to call). */
  tools: unknown
  /**
   * The session's Python backend, when it has one: the harness gives the model a `run_code` tool
   * running in it (its namespace is the session's, so `session.runPython` sees what the model did).
   */
  pythonBackend: PythonBackend | undefined
  /** The session's sandbox (its policy applied), when it has one: the file and shell tools work in it. */
  sandbox: Sandbox | undefined
  /** Aborting stops the prompt and the tool call in flight; the harness then rejects with an `AbortError`. */
  signal: AbortSignal
  /** Most model requests for this prompt; a harness never makes more. */
  maxSteps: number
  /** Cap on each tool's text output to the model, in characters. */
  maxOutputChars: number
  /** Default limits of each `run_code` run (omitted ones take the backend's defaults). */
  resourceLimits: ResourceLimits | undefined
  /** Receives what happens as it happens; never throws. */
  onEvent: (event: HarnessEvent) => void
  /**
   * Saves the prompt so far. The harness calls it after each model step that called tools, once
   * their results are in and before the next model request, with every message this prompt has
   * added (the user's first; the format and rules of `HarnessPromptResult.messages`), and awaits
   * it. The session then holds and saves those messages with the Python state, so a process that
   * dies mid-prompt keeps the finished steps. A rejection (a failed save) is the prompt's
   * failure: the harness stops and rejects.
   */
  commitStep: (messages: unknown[]) => Promise<void>
  /**
   * The schema of a structured reply (the application's `prompt({ result })`: a zod schema or
   * another Standard Schema), only for a harness whose `promptOptions` has `'result'`. The
   * harness makes the model answer in that shape and returns the answer as
   * `HarnessPromptResult.result`; the session validates it with the schema.
   */
  result: unknown
}

/** What a prompt resolves with. */
export interface HarnessPromptResult {
  /** The model's final text. */
  text: string
  /**
   * The messages this prompt adds to the history, the user's message first, in the harness's
   * format; JSON values (`structuredClone`-able, no class instances) so any store keeps them.
   */
  messages: unknown[]
  /** Why the last model step ended. */
  finishReason: HarnessFinishReason
  /** True when the prompt used all of its `maxSteps` while the model still wanted to call tools. */
  stepsExhausted: boolean
  /** Tokens used by all steps together. */
  usage: HarnessUsage
  /** The model's structured answer, unvalidated, when `input.result` was given. */
  result?: unknown
}

/**
 * A model loop a session runs its prompts on.
 *
 * - `name` identifies it (`'deepagents'`); `contractVersion` is `HARNESS_CONTRACT_VERSION`.
 * - `checkModel(model)` is called by `init()`: it throws a `PyFlueError` (`InvalidArgumentError`)
 *   for a model this harness cannot drive, so a wrong model fails at once, not at the first prompt.
 * - `checkTools(tools)` (optional) is called by `init()` with the application's tools; it throws
 *   for tools not in this harness's format.
 * - `prompt(input)` runs one prompt. It does not change `input.messages`; the session adds the
 *   returned `messages` to its history and saves it with the Python state. It rejects with an
 *   `AbortError` once `input.signal` is aborted. A Python error inside `run_code` is a tool result
 *   the model reads, not a rejection.
 * - Prompts of one session never overlap (the session runs them one at a time).
 * - `promptOptions` (optional) lists the `HarnessPromptOption`s it honours; the session refuses
 *   the others with an `InvalidArgumentError` naming the option, never ignoring them.
 */
export interface Harness {
  readonly name: string
  readonly contractVersion: typeof HARNESS_CONTRACT_VERSION
  checkModel(model: unknown): void
  checkTools?(tools: unknown): void
  readonly promptOptions?: readonly HarnessPromptOption[]
  prompt(input: HarnessPromptInput): Promise<HarnessPromptResult>
}
