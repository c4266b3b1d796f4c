import type { FinishReason, LanguageModelUsage } from 'ai'

/** One event of `session.stream()`. */
export type SessionEvent =
  /** A piece of the model's reply text. */
  | { type: 'text-delta'; text: string }
  /** The model called a tool. */
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  /** A chunk printed by the Python code of a `run_code` call, as it was printed (before its `tool-result`). */
  | { type: 'run-code-stdout'; toolCallId: string; text: string }
  /**
   * Python code of the `run_code` call `toolCallId` called an application tool (programmatic
   * tool calling); `callId` identifies that inner call. Then comes its result or error.
   */
  | { type: 'python-tool-call'; toolCallId: string; callId: string; toolName: string; input: unknown }
  | {
      type: 'python-tool-result'
      toolCallId: string
      callId: string
      toolName: string
      input: unknown
      output: unknown
    }
  | {
      type: 'python-tool-error'
      toolCallId: string
      callId: string
      toolName: string
      input: unknown
      error: unknown
    }
  /** A tool call finished; `output` is what the model reads. */
  | { type: 'tool-result'; toolCallId: string; toolName: string; input: unknown; output: unknown }
  /** A tool call threw; the error also goes back to the model. */
  | { type: 'tool-error'; toolCallId: string; toolName: string; input: unknown; error: unknown }
  /** One model step (a request and its tool calls) finished. */
  | { type: 'step-finish'; finishReason: FinishReason; usage: LanguageModelUsage }
  /**
   * Python inside `run_code` called an application tool that needs approval: the run is paused
   * there and the prompt ends; answer with `session.approve` / `deny` / `respond`.
   */
  | {
      type: 'tool-approval-request'
      approvalId: string
      toolName: string
      input: unknown
      line?: number
      codeAround?: string
    }
  /**
   * The prompt used all of its `maxSteps` steps while the model still wanted to call tools, so it
   * ended without the model's answer (comes just before `finish`, whose `stepsExhausted` is true).
   */
  | { type: 'steps-exhausted'; maxSteps: number; steps: number }
  /** The prompt finished; the session's history now holds it. */
  | {
      type: 'finish'
      text: string
      finishReason: FinishReason
      stepsExhausted: boolean
      usage: LanguageModelUsage
    }
