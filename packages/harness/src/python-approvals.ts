/**
 * Approvals inside `run_code`: an application tool with `needsApproval` (a boolean or a function
 * of the input, as in the AI SDK) that Python calls pauses the run (`PythonBackend.start`); the
 * prompt ends with a standard `tool-approval-request` naming that tool and its input; an answer
 * resumes the Python where it stopped (`PythonBackend.resume`), in this process or another.
 *
 * - `PendingApproval` is what the session keeps of one paused call, in the session record's
 *   `extensions` under `PENDING_APPROVALS_EXTENSION` (JSON: the pause's bytes in base64), so any
 *   process that opens the session can answer it.
 * - `approvalRequestMessage` is the assistant message the prompt ends with: a `tool-call` of the
 *   application tool (its id is the pause's id) and its `tool-approval-request`.
 * - `approvalAnswerMessage` is the tool message an answer adds: the `tool-approval-response` and
 *   the call's `tool-result` (the tool's output, or `execution-denied`).
 */
import { InvalidArgumentError, type PythonPause } from '@pyflue/core'
import type { ModelMessage, Tool, ToolSet } from 'ai'

/** The `extensions` key of the session's pending approvals. */
export const PENDING_APPROVALS_EXTENSION = 'pyflue.pendingApprovals'

/** One application-tool call inside `run_code` waiting for a person's answer. */
export interface PendingApproval {
  /** The approval's id: the pause's id, also the id of the tool call shown for it. */
  readonly approvalId: string
  /** The `run_code` call whose Python is paused. */
  readonly runCodeCallId: string
  readonly toolName: string
  /** The tool's input (the Python call's arguments, as the tool's schema names them). */
  readonly input: unknown
  /** The snippet's line that makes the call, and the lines around it. */
  readonly line?: number
  readonly codeAround?: string
  /** The paused run, `PythonPause.dump()` in base64. */
  readonly pause: string
  /** Later pauses of the same run are approved without asking (`approve(id, { rest: true })`). */
  readonly approveRest: boolean
}

/** What the application sees of a pending approval (`PromptReply.approvalRequests`). */
export interface ApprovalRequest {
  readonly approvalId: string
  readonly toolName: string
  readonly input: unknown
  readonly line?: number
  readonly codeAround?: string
}

/** An answer to an approval request, as AI SDK UI sends it (`tool-approval-response`). */
export interface ApprovalResponse {
  readonly approvalId: string
  readonly approved: boolean
  /** Why it was denied (Python's `PermissionError` says it) or approved. */
  readonly reason?: string
  /** With `approved`: approve every later pause of the same `run_code` call too. */
  readonly rest?: boolean
}

/** True when `tools[name]` asks for approval of `input` (the AI SDK's `needsApproval`). */
export async function toolNeedsApproval(
  tools: ToolSet,
  name: string,
  input: unknown,
  context: { toolCallId: string; messages: ModelMessage[] },
): Promise<boolean> {
  const needs = (tools[name] as Tool | undefined)?.needsApproval
  if (needs === undefined) return false
  if (typeof needs === 'boolean') return needs
  return (await needs(input as never, context)) === true
}

/** The pending approval of a run paused at a call of the application tool `toolName`. */
export function pendingApproval(
  pause: PythonPause,
  runCodeCallId: string,
  toolName: string,
  input: unknown,
  approveRest = false,
): PendingApproval {
  return {
    approvalId: pause.id,
    runCodeCallId,
    toolName,
    input: jsonSafe(input),
    ...(pause.line === undefined ? {} : { line: pause.line }),
    ...(pause.codeAround === undefined ? {} : { codeAround: pause.codeAround }),
    pause: Buffer.from(pause.dump()).toString('base64'),
    approveRest,
  }
}

/** The request the application shows for `pending`. */
export function approvalRequestOf(pending: PendingApproval): ApprovalRequest {
  return {
    approvalId: pending.approvalId,
    toolName: pending.toolName,
    input: pending.input,
    ...(pending.line === undefined ? {} : { line: pending.line }),
    ...(pending.codeAround === undefined ? {} : { codeAround: pending.codeAround }),
  }
}

/** The assistant message a prompt ends with while `pending` waits: the call and its approval request. */
export function approvalRequestMessage(pending: PendingApproval): ModelMessage {
  return {
    role: 'assistant',
    content: [
      {
        type: 'tool-call',
        toolCallId: pending.approvalId,
        toolName: pending.toolName,
        input: pending.input,
      },
      { type: 'tool-approval-request', approvalId: pending.approvalId, toolCallId: pending.approvalId },
    ],
  }
}

/** The tool message an answer adds: the approval response and the call's result. */
export function approvalAnswerMessage(
  pending: PendingApproval,
  response: ApprovalResponse,
  outcome: { output: unknown } | { error: string } | { denied: string },
): ModelMessage {
  const output =
    'denied' in outcome
      ? { type: 'execution-denied' as const, reason: outcome.denied }
      : 'error' in outcome
        ? { type: 'error-text' as const, value: outcome.error }
        : { type: 'json' as const, value: jsonSafe(outcome.output) as never }
  return {
    role: 'tool',
    content: [
      {
        type: 'tool-approval-response',
        approvalId: pending.approvalId,
        approved: response.approved,
        ...(response.reason === undefined ? {} : { reason: response.reason }),
      },
      { type: 'tool-result', toolCallId: pending.approvalId, toolName: pending.toolName, output },
    ],
  }
}

/** Reads the session's pending approvals from its stored extensions (nothing when absent). */
export function readPendingApprovals(
  extensions: Readonly<Record<string, unknown>> | undefined,
): PendingApproval[] {
  const stored = extensions?.[PENDING_APPROVALS_EXTENSION]
  if (stored === undefined) return []
  if (!Array.isArray(stored)) return []
  return stored.filter(
    (item): item is PendingApproval =>
      typeof item === 'object' &&
      item !== null &&
      typeof item.approvalId === 'string' &&
      typeof item.runCodeCallId === 'string' &&
      typeof item.toolName === 'string' &&
      typeof item.pause === 'string',
  )
}

/** Checks the answers given to `respond` / `approve` / `deny`. */
export function checkResponses(responses: unknown, pending: readonly PendingApproval[]): ApprovalResponse[] {
  if (!Array.isArray(responses) || responses.length === 0) {
    throw new InvalidArgumentError('responses', 'Give at least one { approvalId, approved } answer.')
  }
  return responses.map((response, index) => {
    const r = response as Partial<ApprovalResponse> | null
    if (
      typeof r !== 'object' ||
      r === null ||
      typeof r.approvalId !== 'string' ||
      typeof r.approved !== 'boolean'
    ) {
      throw new InvalidArgumentError(
        `responses[${index}]`,
        'Each answer is { approvalId: string, approved: boolean, reason? }.',
      )
    }
    if (r.reason !== undefined && typeof r.reason !== 'string') {
      throw new InvalidArgumentError(`responses[${index}].reason`, 'reason must be a string.')
    }
    if (!pending.some((p) => p.approvalId === r.approvalId)) {
      throw new InvalidArgumentError(
        `responses[${index}].approvalId`,
        `No approval '${r.approvalId}' is pending in this session${pending.length > 0 ? ` (pending: ${pending.map((p) => p.approvalId).join(', ')})` : ''}.`,
      )
    }
    return r as ApprovalResponse
  })
}

/** `value` as JSON data: bigints as decimal strings, bytes as arrays, Maps as objects. */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value ?? null, (_key, item) => {
      if (typeof item === 'bigint') return item.toString()
      if (item instanceof Map) return Object.fromEntries(item)
      if (item instanceof Set) return [...item]
      if (item instanceof Uint8Array) return [...item]
      return item
    }),
  )
}
