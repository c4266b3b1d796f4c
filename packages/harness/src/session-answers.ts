/**
 * One answer to an approval request, for `Session.respond`: the approved tool call runs (or the
 * denial becomes Python's `PermissionError`), the paused `run_code` run resumes through its next
 * automatic answers (`run-code-approvals.ts`), and the messages that record it come back, with
 * the request the run paused at next, if it did. The session's own state is not touched here.
 */
import type { ExternalFunctionDefinition, PythonBackend, PythonResumeAnswer, Sandbox } from '@pyflue/core'
import type { ModelMessage, ToolSet } from 'ai'
import { applicationToolsAsExternalFunctions } from './application-tools.js'
import { sandboxHostPathScrubber } from './host-paths.js'
import {
  type ApprovalResponse,
  approvalAnswerMessage,
  approvalRequestMessage,
  type PendingApproval,
} from './python-approvals.js'
import {
  denialAnswer,
  type PauseContext,
  resumeOptions,
  runApprovedCall,
  settlePauses,
  toolsNeedingApproval,
} from './run-code-approvals.js'

/** What of the session's settings resuming a paused run reads. */
export interface AnswerSettings {
  readonly tools: ToolSet
  readonly maxOutputChars: number
  readonly sandbox?: Sandbox | undefined
}

/** What resuming the paused `run_code` call `runCodeCallId` needs; `messages` is the session's own list. */
export function pauseContextOf(
  settings: AnswerSettings,
  messages: ModelMessage[],
  backend: PythonBackend,
  runCodeCallId: string,
  signal: AbortSignal,
): PauseContext {
  const tools = settings.tools
  return {
    backend,
    tools,
    externalFunctions: applicationToolsAsExternalFunctions(tools, {
      toolCallIdPrefix: runCodeCallId,
      signal,
    }),
    pausing: toolsNeedingApproval(tools),
    runCodeCallId,
    messages,
    signal,
    maxOutputChars: settings.maxOutputChars,
    scrub: sandboxHostPathScrubber(settings.sandbox),
  }
}

/**
 * Answers `pending` with `response` and resumes its run. `messages` record the answer, then the
 * next request (when the run paused again: `next`) or the `run_code` result (when it finished).
 */
export async function answerApproval(
  backend: PythonBackend,
  pending: PendingApproval,
  response: ApprovalResponse,
  context: PauseContext,
): Promise<{ messages: ModelMessage[]; next?: PendingApproval }> {
  const definition = context.externalFunctions[pending.toolName] as ExternalFunctionDefinition
  let answer: PythonResumeAnswer
  let outcome: Parameters<typeof approvalAnswerMessage>[2]
  if (response.approved) {
    ;({ answer, outcome } = await runApprovedCall(definition, pending.input as Record<string, unknown>))
  } else {
    answer = denialAnswer(pending.toolName, response.reason)
    outcome = { denied: response.reason ?? `The call of ${pending.toolName} was denied.` }
  }
  const messages: ModelMessage[] = [approvalAnswerMessage(pending, response, outcome)]
  const bytes = new Uint8Array(Buffer.from(pending.pause, 'base64'))
  const settled = await settlePauses(
    context,
    () => backend.resume!(bytes, answer, resumeOptions(context)),
    response.approved && (response.rest === true || pending.approveRest),
  )
  if (settled.kind === 'waiting') {
    messages.push(approvalRequestMessage(settled.pending))
    return { messages, next: settled.pending }
  }
  messages.push({
    role: 'tool',
    content: [
      {
        type: 'tool-result',
        toolCallId: pending.runCodeCallId,
        toolName: 'run_code',
        output: { type: 'text', value: settled.output },
      },
    ],
  })
  return { messages }
}
