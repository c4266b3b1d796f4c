import {
  ClosedError,
  createAbortError,
  type DataclassConstructor,
  type DataclassSpec,
  type ExecOptions,
  type InferSchemaOutput,
  InvalidArgumentError,
  isAbortError,
  NotConfiguredError,
  type PythonBackend,
  type PythonRunOptions,
  type PythonRunResult,
  type ResourceLimits,
  ResultValidationError,
  raceAbort,
  type Sandbox,
  type ShellResult,
  type StandardSchemaV1,
  Telemetry,
} from '@pyflue/core'
import {
  type FinishReason,
  type FlexibleSchema,
  generateText,
  type LanguageModel,
  type LanguageModelUsage,
  type ModelMessage,
  NoObjectGeneratedError,
  NoOutputGeneratedError,
  Output,
  type StepResult,
  stepCountIs,
  streamText,
  type ToolSet,
} from 'ai'
import { BUILT_IN_TOOL_NAMES } from './application-tools.js'
import {
  type ContractHarnessSetting,
  checkHarnessResult,
  checkStepMessages,
  refuseUnsupportedOptions,
  routeHarnessEvents,
  typedResultOf,
  usageOf,
} from './contract-harness.js'
import { EventQueue, HeldEvents } from './event-queue.js'
import { checkPromptOptions, runPythonOptions, stepsExhausted } from './prompt-options.js'
import {
  type ApprovalRequest,
  type ApprovalResponse,
  approvalRequestMessage,
  approvalRequestOf,
  checkResponses,
  PENDING_APPROVALS_EXTENSION,
  type PendingApproval,
  readPendingApprovals,
} from './python-approvals.js'
import { type CommittedPython, type PythonSave, pythonRecordFields } from './python-commits.js'
import { type RunCodeEvent, type RunCodeToolOptions, runCodeTool } from './run-code-tool.js'
import { sandboxTools } from './sandbox-tools.js'
import { answerApproval, pauseContextOf } from './session-answers.js'
import type { SessionEvent } from './session-events.js'
import { SESSION_RECORD_VERSION, type SessionStore } from './session-store.js'
import type { WorkspaceFiles, WorkspaceReader } from './session-workspace.js'
import { buildSystemPrompt } from './system-prompt.js'
import { aiSdkTelemetry, traceBuiltInTools, tracePrompt } from './telemetry/instrument-prompt.js'
import type { SandboxToolLimits } from './tool-limits.js'
import {
  checkResultSchema,
  DEFAULT_RUN_DURATION_SECS,
  validateUnderDeadline,
} from './validate-under-deadline.js'

/** Where a `run_code` call reports what it does while it runs. */
type RunCodeActivity = Pick<RunCodeToolOptions, 'onStdout' | 'onToolEvent'>

/** Everything a session is made from; built by `Agent.session()`. */
export interface SessionSettings {
  id: string
  getModel: () => Promise<Exclude<LanguageModel, string>>
  /** When set, prompts run on this harness (core's `Harness` contract), not on the AI SDK loop. */
  harness?: ContractHarnessSetting | undefined
  pythonBackend?: PythonBackend | undefined
  sandbox?: Sandbox | undefined
  instructions?: string | undefined
  tools: ToolSet
  store: SessionStore
  /** Reads the sandbox's files for each save, when the sandbox dies with this process. */
  workspace?: WorkspaceReader | undefined
  /** The workspace files as the store holds them (what a failed save puts the sandbox back to). */
  committedWorkspace?: WorkspaceFiles | undefined
  /** The Python state as the store holds it, or the backend's state at open when none is stored. */
  committedPython?: CommittedPython | undefined
  messages: ModelMessage[]
  /** The stored record's extensions (pending approvals among them). */
  extensions?: Record<string, unknown>
  maxSteps: number
  maxOutputChars: number
  resourceLimits?: ResourceLimits | undefined
  /** Bounds of the file and shell tools (see `SandboxToolLimits`). */
  toolLimits?: SandboxToolLimits | undefined
  /** Spans and metrics; off when omitted. */
  telemetry?: Telemetry | undefined
  /** Ends what the agent holds for the session (its store lease); awaited by `close()`. */
  onClose: () => Promise<void>
}

/** Options of `session.runPython`: the backend's run options, with the session's abort on top. */
export type SessionRunOptions = Omit<PythonRunOptions<undefined>, 'result'>

/** Options of `session.prompt` and `session.stream`. */
export interface PromptOptions<T = undefined> {
  /** A schema the reply must match (zod or any schema the AI SDK accepts); the parsed value is `reply.result`. */
  result?: FlexibleSchema<T>
  /** Aborting stops the prompt, the tool call in flight and its Python run. */
  signal?: AbortSignal
  /** Most model steps (requests) for this prompt. Defaults to the agent's `maxSteps`. */
  maxSteps?: number
  /** Called after each `run_code` call with its code and outcome. */
  onRunCode?: (event: RunCodeEvent) => void
}

/** What a prompt resolves with. */
export interface PromptReply<T = undefined> {
  /** The model's final text. */
  text: string
  /**
   * Every step the model took: its requests, tool calls and tool results (AI SDK `StepResult`s).
   * Empty on a harness other than `'ai-sdk'`.
   */
  steps: StepResult<ToolSet>[]
  /** Tokens used by all steps together. */
  usage: LanguageModelUsage
  /**
   * Why the last model step ended (the AI SDK's `finishReason`): `'stop'` when the model
   * answered, `'tool-calls'` when it still wanted to call tools (see `stepsExhausted`), `'length'`
   * when it hit its output token limit, and so on.
   */
  finishReason: FinishReason
  /**
   * True when the prompt ended because it used all of its `maxSteps` while the model still wanted
   * to call tools: the model never wrote its answer, so `text` is usually empty. Raise `maxSteps`
   * (in `init()` or per prompt) or prompt again to let it continue.
   */
  stepsExhausted: boolean
  /** The typed reply when `result` was given; `undefined` otherwise. */
  result: T
  /**
   * Calls of application tools with `needsApproval` that Python made inside `run_code` and
   * that wait for an answer (`approve`, `deny`, `respond`); the prompt ended there. Empty when
   * nothing waits. The reply's messages end with their `tool-approval-request` parts.
   */
  approvalRequests: ApprovalRequest[]
  /**
   * The messages this prompt added to the session's history (the user's message first). On a
   * harness other than `'ai-sdk'` they are that harness's own JSON messages (with
   * `'deepagents'`, LangChain's stored messages), typed here as the AI SDK's.
   */
  messages: ModelMessage[]
}

/** What `session.stream()` returns: the events as they happen, and the reply once it is done. */
export interface SessionStream<T = undefined> extends AsyncIterable<SessionEvent> {
  /** Resolves with the reply when the prompt finished; rejects as the iteration does. */
  readonly reply: Promise<PromptReply<T>>
}

interface Operation {
  signal: AbortSignal
  /** Stops the operation because of `error`, which the operation then rejects with. */
  fail(error: unknown): void
  /** The error `fail` was given, if any. */
  readonly failure: unknown
  done(): void
}

/**
 * One conversation with its own Python namespace and sandbox. Get it from `agent.session(id)`.
 *
 * - Prompts of one session run one at a time, in call order.
 * - A prompt that fails or is aborted leaves the message history as it was before it.
 * - After each prompt and each `runPython`/`loadPythonState`, the messages and the Python state
 *   are saved to the agent's store, so `agent.session(id)` in another process continues them.
 * - A save that cannot be made (too large, the store down, the lease lost) rejects the operation
 *   with the save's typed error and takes the operation back: the messages, the Python namespace
 *   and the workspace files are again what the store holds (both have the operation or neither),
 *   and the next save starts from the stored record.
 * - `abort()` stops every operation in flight (prompts, tool calls, Python runs, shell
 *   commands): each rejects with a `DOMException` named `AbortError`. The session stays usable.
 */
export class Session {
  readonly id: string
  readonly #settings: SessionSettings
  readonly #messages: ModelMessage[]
  readonly #operations = new Set<AbortController>()
  #promptLock: Promise<void> = Promise.resolve()
  #saving: Promise<void> = Promise.resolve()
  #closed = false
  /** What the store holds: a failed save puts the session back to it. */
  #committed: {
    messageCount: number
    workspace: WorkspaceFiles | undefined
    pending: readonly PendingApproval[]
  }
  /** The Python state as the store holds it, and what the next save commits of it. */
  readonly #committedPython: CommittedPython | undefined
  /** Calls inside `run_code` waiting for a person's answer (saved with the session). */
  #pending: PendingApproval[]
  /** The stored extensions this session does not own, kept as they are. */
  readonly #otherExtensions: Record<string, unknown>

  /** @internal Sessions are made by `Agent.session()`. */
  constructor(settings: SessionSettings) {
    this.id = settings.id
    this.#settings = settings
    this.#messages = settings.messages
    this.#pending = readPendingApprovals(settings.extensions)
    this.#committed = {
      messageCount: settings.messages.length,
      workspace: settings.committedWorkspace,
      pending: this.#pending,
    }
    this.#committedPython = settings.committedPython
    const { [PENDING_APPROVALS_EXTENSION]: _pending, ...others } = settings.extensions ?? {}
    this.#otherExtensions = others
  }

  /** The calls inside `run_code` waiting for a person's answer, oldest first. */
  get approvalRequests(): ApprovalRequest[] {
    return this.#pending.map(approvalRequestOf)
  }

  /** The session's Python backend, when the agent has one. */
  get pythonBackend(): PythonBackend | undefined {
    return this.#settings.pythonBackend
  }

  /** The session's sandbox (wrapped with the agent's policy), when the agent has one. */
  get sandbox(): Sandbox | undefined {
    return this.#settings.sandbox
  }

  /** The conversation so far (a copy), in the harness's message format (see `PromptReply.messages`). */
  get messages(): ModelMessage[] {
    return structuredClone(this.#messages)
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * Runs Python in the session's namespace. Resolves with the backend's `PythonRunResult`, or,
   * when `result` (a Standard Schema such as a zod schema) is given, with the validated value.
   * The validation runs after the run, under the run's deadline and signal: still pending at the
   * end of `maxDurationSecs` (5 s when not given) it rejects with `ResourceLimitError`, aborted
   * with an `AbortError`; a value that fails it rejects with `ResultValidationError`. In each
   * case the run's changes to the namespace are kept (as the `PythonBackend` contract says).
   */
  runPython<S extends StandardSchemaV1>(
    code: string,
    options: SessionRunOptions & { result: S },
  ): Promise<InferSchemaOutput<S>>
  runPython(code: string, options?: SessionRunOptions): Promise<PythonRunResult>
  async runPython(code: string, given: PythonRunOptions = {}): Promise<unknown> {
    const backend = this.#requireBackend('runPython')
    if (typeof code !== 'string')
      throw new InvalidArgumentError('code', 'runPython needs the Python code as a string.')
    const { result: schema, ...options } = runPythonOptions(given, this.#settings.resourceLimits)
    checkResultSchema(schema)
    const op = this.#begin(options.signal)
    try {
      const maxDurationSecs = options.resourceLimits?.maxDurationSecs ?? DEFAULT_RUN_DURATION_SECS
      const deadlineMs = Date.now() + maxDurationSecs * 1000
      // The schema is applied here, not by the backend: a validation that never settles must not
      // hold the backend's run queue, and it runs under the run's deadline and signal.
      const run = await raceAbort(backend.run(code, { ...options, signal: op.signal }), op.signal)
      await this.#persist()
      if (schema === undefined) return run
      return await validateUnderDeadline(schema, run.result, {
        signal: op.signal,
        deadlineMs,
        maxDurationSecs,
      })
    } finally {
      op.done()
    }
  }

  /** The Python state as bytes (see `PythonBackend.dumpState`). */
  async dumpPythonState(): Promise<Uint8Array> {
    return this.#requireBackend('dumpPythonState').dumpState()
  }

  /** Replaces the Python state with bytes from `dumpPythonState` (of this or another process) and saves it. */
  async loadPythonState(bytes: Uint8Array): Promise<void> {
    await this.#requireBackend('loadPythonState').loadState(bytes)
    this.#committedPython?.snapshotNext()
    await this.#persist()
  }

  /** Makes instances of `cls` cross into Python as dataclass instances (see `PythonBackend.registerDataclass`). */
  registerPythonDataclass(cls: DataclassConstructor, spec: DataclassSpec): void {
    this.#requireBackend('registerPythonDataclass').registerDataclass(cls, spec)
  }

  /** Writes a file in the sandbox (parents created); refused when the policy disallows writes. */
  async writeFile(path: string, content: string | Uint8Array): Promise<void> {
    await this.#requireSandbox('writeFile').writeFile(path, content)
  }

  /** Reads a UTF-8 file from the sandbox. */
  async readFile(path: string): Promise<string> {
    return this.#requireSandbox('readFile').readFile(path)
  }

  /** Runs a shell command in the sandbox; resolves with its exit code and output, whatever the exit code. */
  async shell(command: string, options: ExecOptions = {}): Promise<ShellResult> {
    const sandbox = this.#requireSandbox('shell')
    const op = this.#begin(options.signal)
    try {
      return await raceAbort(sandbox.exec(command, { ...options, signal: op.signal }), op.signal)
    } finally {
      op.done()
    }
  }

  /**
   * Sends `text` to the model with the session's history and tools, lets it call tools until it
   * answers (at most `maxSteps` requests), adds the exchange to the history and saves it. Each
   * step that called tools is saved before the next request, so a failure keeps the steps done.
   * The model and its provider package are loaded on the first prompt.
   */
  async prompt<T = undefined>(text: string, options: PromptOptions<T> = {}): Promise<PromptReply<T>> {
    this.#checkPrompt(text)
    const maxSteps = checkPromptOptions(options, this.#settings.maxSteps, 'prompt options')
    if (this.#settings.harness) refuseUnsupportedOptions(options, this.#settings.harness.harness)
    const op = this.#begin(options.signal)
    if (this.#settings.harness)
      return this.#promptOnHarness(this.#settings.harness, text, op, maxSteps, options)
    return this.#promptOperation(op, false, maxSteps, async () => {
      const setup = await this.#setup(text, op, options, maxSteps)
      const call = generateText(setup.callOptions)
      const result = await raceAbort(call, op.signal)
      return this.#loopReply<T>(setup, setup.userMessages, result, options, maxSteps)
    })
  }

  /**
   * Like `prompt`, but yields events as they happen: text deltas, tool calls, the stdout of
   * `run_code` as it is printed, tool results, step ends and a final `finish`. The prompt starts
   * at once; `reply` resolves when it is done. Breaking out of the loop does not stop the
   * prompt: call `abort()` for that.
   */
  stream<T = undefined>(text: string, options: PromptOptions<T> = {}): SessionStream<T> {
    const maxSteps = checkPromptOptions(options, this.#settings.maxSteps, 'stream options')
    const queue = new EventQueue<SessionEvent>()
    const reply = this.#runStream(text, options, maxSteps, queue)
    reply.then(
      () => queue.end(),
      (error: unknown) => queue.fail(error),
    )
    reply.catch(() => {})
    return {
      reply,
      [Symbol.asyncIterator]: () => queue,
    }
  }

  async #runStream<T>(
    text: string,
    options: PromptOptions<T>,
    maxSteps: number,
    queue: EventQueue<SessionEvent>,
  ): Promise<PromptReply<T>> {
    this.#checkPrompt(text)
    if (this.#settings.harness) refuseUnsupportedOptions(options, this.#settings.harness.harness)
    const op = this.#begin(options.signal)
    if (this.#settings.harness)
      return this.#promptOnHarness(this.#settings.harness, text, op, maxSteps, options, queue)
    // What a run_code call does (stdout, tools its Python calls) is held until the stream has
    // shown that call's `tool-call` event.
    const shownCalls = new Set<string>()
    const held = new HeldEvents<SessionEvent>()
    const emitForCall = (toolCallId: string, event: SessionEvent) => {
      if (shownCalls.has(toolCallId)) queue.push(event)
      else held.hold(toolCallId, event)
    }
    const activity: RunCodeActivity = {
      onStdout: (toolCallId, chunk) =>
        emitForCall(toolCallId, { type: 'run-code-stdout', toolCallId, text: chunk }),
      onToolEvent: (toolCallId, event) => emitForCall(toolCallId, { ...event, toolCallId }),
    }
    const flushHeld = (toolCallId: string) => held.release(toolCallId, queue)
    return this.#promptOperation(op, true, maxSteps, async () => {
      const setup = await this.#setup(text, op, options, maxSteps, activity)
      const result = streamText({
        ...setup.callOptions,
        onError: () => {},
      })
      const pump = async () => {
        for await (const part of result.fullStream) {
          switch (part.type) {
            case 'text-delta':
              queue.push({ type: 'text-delta', text: part.text })
              break
            case 'tool-call':
              queue.push({
                type: 'tool-call',
                toolCallId: part.toolCallId,
                toolName: part.toolName,
                input: part.input,
              })
              shownCalls.add(part.toolCallId)
              flushHeld(part.toolCallId)
              break
            case 'tool-result':
              flushHeld(part.toolCallId)
              queue.push({
                type: 'tool-result',
                toolCallId: part.toolCallId,
                toolName: part.toolName,
                input: part.input,
                output: part.output,
              })
              break
            case 'tool-error':
              flushHeld(part.toolCallId)
              queue.push({
                type: 'tool-error',
                toolCallId: part.toolCallId,
                toolName: part.toolName,
                input: part.input,
                error: part.error,
              })
              break
            case 'finish-step':
              queue.push({ type: 'step-finish', finishReason: part.finishReason, usage: part.usage })
              break
            case 'error':
              throw part.error
            case 'abort':
              throw createAbortError(op.signal)
            default:
              break
          }
        }
      }
      await raceAbort(pump(), op.signal)
      const [finalText, steps, usage, response, finishReason] = await raceAbort(
        Promise.all([result.text, result.steps, result.totalUsage, result.response, result.finishReason]),
        op.signal,
      )
      let typed: unknown
      if (options.result !== undefined) {
        typed = await raceAbort(
          Promise.resolve(result.output).catch((error: unknown) => {
            throw new ResultValidationError([{ message: (error as Error).message }], finalText)
          }),
          op.signal,
        )
      }
      const exhausted = stepsExhausted(steps, maxSteps)
      const added = this.#withPauses([...setup.userMessages, ...response.messages], setup.pauses)
      for (const pending of setup.pauses)
        queue.push({ type: 'tool-approval-request', ...approvalRequestOf(pending) })
      const reply = await this.#commitReply<T>(setup.base, added, {
        text: finalText,
        steps: steps as StepResult<ToolSet>[],
        usage,
        finishReason,
        stepsExhausted: exhausted,
        result: typed as T,
      })
      if (exhausted) queue.push({ type: 'steps-exhausted', maxSteps, steps: steps.length })
      queue.push({ type: 'finish', text: finalText, finishReason, stepsExhausted: exhausted, usage })
      return reply
    })
  }

  /**
   * Answers approval requests (`PromptReply.approvalRequests`; the `tool-approval-response`
   * parts AI SDK UI sends carry the same `approvalId`, `approved` and `reason`) and goes on: an
   * approved call runs its tool and Python gets its output, a denied one raises
   * `PermissionError` in Python (the snippet may catch it). The Python resumes exactly where it
   * stopped, in this process or in another one that opened the session. When the run pauses at
   * another call that needs approval the reply ends with its request; when it finishes, the
   * model's loop continues with the run's output and the reply is the model's, as `prompt`.
   */
  async respond<T = undefined>(
    responses: readonly ApprovalResponse[],
    options: PromptOptions<T> = {},
  ): Promise<PromptReply<T>> {
    this.#checkOpen()
    const maxSteps = checkPromptOptions(options, this.#settings.maxSteps, 'respond options')
    const answers = checkResponses(responses, this.#pending)
    const op = this.#begin(options.signal)
    return this.#promptOperation(op, false, maxSteps, async () => {
      const base = this.#messages.length
      const before = this.#pending
      const added: ModelMessage[] = []
      try {
        for (const response of answers) added.push(...(await this.#answer(response, op.signal)))
        await this.#commitFrom(base, added)
      } catch (error) {
        this.#pending = before
        throw error
      }
      if (this.#pending.length > 0) {
        return {
          text: '',
          steps: [],
          // No model call was made: nothing was used.
          usage: usageOf({
            usage: { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined },
          }),
          finishReason: 'tool-calls' as const,
          stepsExhausted: false,
          result: undefined as T,
          messages: structuredClone(added),
          approvalRequests: this.approvalRequests,
        }
      }
      // Every paused run finished: the model goes on from its runs' outputs.
      const setup = await this.#setup(undefined, op, options, maxSteps)
      const result = await raceAbort(generateText(setup.callOptions), op.signal)
      return this.#loopReply<T>({ base, pauses: setup.pauses }, added, result, options, maxSteps)
    })
  }

  /** Approves the call `approvalId` (with `rest`, every later call of the same run too) and goes on (see `respond`). */
  approve<T = undefined>(
    approvalId: string,
    options: PromptOptions<T> & { rest?: boolean } = {},
  ): Promise<PromptReply<T>> {
    const { rest, ...promptOptions } = options
    return this.respond([{ approvalId, approved: true, ...(rest ? { rest } : {}) }], promptOptions)
  }

  /** Denies the call `approvalId`: Python gets a `PermissionError` saying `reason` (see `respond`). */
  deny<T = undefined>(
    approvalId: string,
    reason?: string,
    options: PromptOptions<T> = {},
  ): Promise<PromptReply<T>> {
    return this.respond(
      [{ approvalId, approved: false, ...(reason === undefined ? {} : { reason }) }],
      options,
    )
  }

  /** One answer (`session-answers.ts`); updates the pending list and returns the messages that record it. */
  async #answer(response: ApprovalResponse, signal: AbortSignal): Promise<ModelMessage[]> {
    const backend = this.#requireBackend('respond')
    const pending = this.#pending.find((p) => p.approvalId === response.approvalId)!
    const context = pauseContextOf(this.#settings, this.#messages, backend, pending.runCodeCallId, signal)
    const { messages, next } = await answerApproval(backend, pending, response, context)
    this.#pending = [...this.#pending.filter((p) => p !== pending), ...(next ? [next] : [])]
    return messages
  }

  /** Stops every operation in flight; each rejects with an `AbortError`. The session stays usable. */
  abort(reason?: unknown): void {
    for (const controller of this.#operations)
      controller.abort(reason ?? createAbortError(undefined, 'The session was aborted.'))
  }

  /** Saves the messages and the Python state to the store now (prompts and runs already do). */
  async save(): Promise<void> {
    this.#checkOpen()
    await this.#persist()
  }

  /**
   * Aborts what is in flight, waits for pending saves, releases the session's store lease, and
   * closes the backend and the sandbox.
   * The store keeps the session: `agent.session(id)` opens it again. Closing twice is a no-op.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.abort(createAbortError(undefined, 'The session was closed.'))
    await this.#saving
    try {
      await this.#settings.onClose()
    } catch {
      // A lease that cannot be released expires on its own; closing goes on.
    }
    try {
      await this.#settings.pythonBackend?.close()
    } finally {
      await this.#settings.sandbox?.close?.()
    }
  }

  // ---- internals ----

  /**
   * A prompt on a contract harness: the harness runs the model loop on the session's history,
   * backend and sandbox; the session keeps the messages it returns and saves them with the
   * Python state. With `queue` (a stream), the harness's events go to it as they happen. Each
   * step the harness commits is saved at once (as on the AI SDK loop); `result` is validated here.
   */
  #promptOnHarness<T>(
    setting: ContractHarnessSetting,
    text: string,
    op: Operation,
    maxSteps: number,
    options: PromptOptions<T>,
    queue?: EventQueue<SessionEvent>,
  ): Promise<PromptReply<T>> {
    return this.#promptOperation(op, queue !== undefined, maxSteps, async () => {
      const { harness, model, tools } = setting
      if (model === undefined) {
        throw new NotConfiguredError(
          'model',
          `session.prompt() needs a model: pass the model the harness '${harness.name}' drives to init({ model }).`,
        )
      }
      const { pythonBackend, sandbox } = this.#settings
      const system = await buildSystemPrompt({
        hasPython: pythonBackend !== undefined,
        sandbox,
        instructions: this.#settings.instructions,
        describeTools: false,
      })
      const base = this.#messages.length
      const raw = await raceAbort(
        harness.prompt({
          sessionId: this.id,
          text,
          messages: structuredClone(this.#messages),
          model,
          system,
          tools,
          pythonBackend,
          sandbox,
          signal: op.signal,
          maxSteps,
          maxOutputChars: this.#settings.maxOutputChars,
          resourceLimits: this.#settings.resourceLimits,
          onEvent: routeHarnessEvents(op.signal, queue && ((event) => queue.push(event)), options.onRunCode),
          commitStep: async (messages) => {
            if (op.signal.aborted) throw createAbortError(op.signal)
            try {
              checkStepMessages(messages, harness)
              await this.#commitFrom(base, structuredClone(messages) as ModelMessage[])
            } catch (error) {
              op.fail(error)
              throw error
            }
          },
          result: options.result,
        }),
        op.signal,
      )
      const result = checkHarnessResult(raw, harness)
      const typed = await raceAbort(typedResultOf(result, options.result), op.signal)
      const usage = usageOf(result)
      const reply = await this.#commitReply<T>(base, structuredClone(result.messages) as ModelMessage[], {
        text: result.text,
        steps: [],
        usage,
        finishReason: result.finishReason,
        stepsExhausted: result.stepsExhausted === true,
        result: typed as T,
      })
      if (reply.stepsExhausted) queue?.push({ type: 'steps-exhausted', maxSteps, steps: maxSteps })
      queue?.push({
        type: 'finish',
        text: result.text,
        finishReason: result.finishReason,
        stepsExhausted: reply.stepsExhausted,
        usage,
      })
      return reply
    })
  }

  /**
   * Runs a prompt's body alone in the session, with its failures normalised, in its
   * `pyflue.session.prompt` span, and ends `op`.
   */
  async #promptOperation<R>(
    op: Operation,
    streamed: boolean,
    maxSteps: number,
    body: () => Promise<R>,
  ): Promise<R> {
    const traced = { sessionId: this.id, streamed, maxSteps }
    try {
      return await tracePrompt(this.#telemetry, traced, () =>
        this.#exclusive(op, body).catch((error: unknown) => {
          throw op.failure ?? normalizeFailure(error, op.signal)
        }),
      )
    } finally {
      op.done()
    }
  }

  get #telemetry(): Telemetry {
    return this.#settings.telemetry ?? Telemetry.off
  }

  /**
   * Puts a prompt's messages in the history after `base` (the history's length when the prompt
   * began) and saves it, unless its last step's commit already saved exactly these; then makes
   * its reply.
   */
  async #commitReply<T>(
    base: number,
    added: ModelMessage[],
    reply: Omit<PromptReply<T>, 'messages' | 'approvalRequests'>,
  ): Promise<PromptReply<T>> {
    // A step that paused was not committed by its step commit, so its reply always differs here.
    if (this.#messages.length !== base + added.length) await this.#commitFrom(base, added)
    return { ...reply, messages: structuredClone(added), approvalRequests: this.approvalRequests }
  }

  /** Makes the history after `base` be `added`, and saves it. */
  async #commitFrom(base: number, added: ModelMessage[]): Promise<void> {
    this.#messages.splice(base, this.#messages.length - base, ...added)
    await this.#persist()
  }

  async #setup(
    text: string | undefined,
    op: Operation,
    options: PromptOptions<unknown>,
    maxSteps: number,
    activity?: RunCodeActivity,
  ) {
    const model = await raceAbort(this.#settings.getModel(), op.signal)
    const { pythonBackend: backend, sandbox, tools: applicationTools } = this.#settings
    const system = await buildSystemPrompt({
      hasPython: backend !== undefined,
      sandbox,
      instructions: this.#settings.instructions,
    })
    const tools: ToolSet = {}
    // Calls inside run_code that paused for approval during this prompt (see `#withPauses`).
    const pauses: PendingApproval[] = []
    if (backend) {
      const variables = backend.listVariables ? await backend.listVariables().catch(() => []) : []
      tools.run_code = runCodeTool(backend, {
        tools: applicationTools,
        variables,
        ...(sandbox ? { sandbox } : {}),
        maxOutputChars: this.#settings.maxOutputChars,
        ...(this.#settings.resourceLimits ? { resourceLimits: this.#settings.resourceLimits } : {}),
        ...(activity ? activity : {}),
        ...(options.onRunCode ? { onRun: options.onRunCode } : {}),
        approvals: { onPause: (pending) => pauses.push(pending), signal: op.signal },
      })
    }
    if (sandbox)
      Object.assign(
        tools,
        sandboxTools(sandbox, {
          ...this.#settings.toolLimits,
          maxOutputChars: this.#settings.maxOutputChars,
        }),
      )
    Object.assign(tools, applicationTools)
    // Without text the prompt continues the history (after approvals were answered).
    const userMessages: ModelMessage[] = text === undefined ? [] : [{ role: 'user', content: text }]
    const base = this.#messages.length
    // Each step that called tools is committed before the next model request, so a process
    // killed mid-prompt loses at most the step in flight. The final step (the reply) is committed
    // with the reply, once it is checked. A failed save stops the prompt with its error.
    const onStepFinish = async (step: { finishReason: string; response: { messages: ModelMessage[] } }) => {
      // A step that paused for approval is committed with the reply, once rewritten.
      if (op.signal.aborted || step.finishReason !== 'tool-calls' || pauses.length > 0) return
      try {
        await this.#commitFrom(base, [...userMessages, ...step.response.messages])
      } catch (error) {
        op.fail(error)
      }
    }
    // What generateText and streamText both take.
    const callOptions = {
      model,
      system,
      messages: [...this.#messages, ...userMessages],
      tools: traceBuiltInTools(this.#telemetry, tools, BUILT_IN_TOOL_NAMES),
      stopWhen: stepCountIs(maxSteps),
      abortSignal: op.signal,
      onStepFinish,
      ...aiSdkTelemetry(this.#telemetry),
      ...(options.result === undefined ? {} : { output: Output.object({ schema: options.result }) }),
    }
    return { userMessages, base, callOptions, pauses }
  }

  /**
   * The reply of an AI SDK loop: its messages (after `before`, from the history's length `base`
   * on), its pauses for approval shown, committed.
   */
  #loopReply<T>(
    at: { base: number; pauses: readonly PendingApproval[] },
    before: ModelMessage[],
    result: Awaited<ReturnType<typeof generateText>>,
    options: PromptOptions<T>,
    maxSteps: number,
  ): Promise<PromptReply<T>> {
    const typed = options.result === undefined ? undefined : readTypedOutput(() => result.output, result.text)
    const added = this.#withPauses([...before, ...result.response.messages], at.pauses)
    return this.#commitReply<T>(at.base, added, {
      text: result.text,
      steps: result.steps as StepResult<ToolSet>[],
      usage: result.totalUsage,
      finishReason: result.finishReason,
      stepsExhausted: stepsExhausted(result.steps, maxSteps),
      result: typed as T,
    })
  }

  /**
   * A prompt's messages with its pauses for approval shown: the AI SDK's own approval request of
   * each paused `run_code` call is replaced by the paused application tool's call and its
   * `tool-approval-request` (`python-approvals.ts`), and the pauses join the pending ones.
   */
  #withPauses(added: ModelMessage[], pauses: readonly PendingApproval[]): ModelMessage[] {
    if (pauses.length === 0) return added
    const paused = new Set(pauses.map((pending) => pending.runCodeCallId))
    const shown = added.map((message) =>
      message.role === 'assistant' && Array.isArray(message.content)
        ? {
            ...message,
            content: message.content.filter(
              (part) => !(part.type === 'tool-approval-request' && paused.has(part.toolCallId)),
            ),
          }
        : message,
    ) as ModelMessage[]
    this.#pending = [...this.#pending, ...pauses]
    return [...shown, ...pauses.map(approvalRequestMessage)]
  }

  /** The extensions a save carries: the pending approvals and what others stored. */
  #extensions(): Record<string, unknown> {
    return {
      ...this.#otherExtensions,
      ...(this.#pending.length > 0 ? { [PENDING_APPROVALS_EXTENSION]: this.#pending } : {}),
    }
  }

  #persist(): Promise<void> {
    const save = async () => {
      const backend = this.#settings.pythonBackend
      const messageCount = this.#messages.length
      const pending = this.#pending
      let python: PythonSave | undefined
      let workspace: WorkspaceFiles | undefined
      try {
        python = backend ? await this.#committedPython!.next(backend, this.#settings.store) : undefined
        workspace = await this.#settings.workspace?.read()
        const { sandbox } = this.#settings
        await this.#settings.store.save(this.id, {
          version: SESSION_RECORD_VERSION,
          messages: this.#messages,
          ...(python ? pythonRecordFields(python, backend!) : {}),
          ...(workspace ? { workspace } : {}),
          ...(sandbox?.id ? { sandbox: { provider: sandbox.name, sandboxId: sandbox.id } } : {}),
          extensions: this.#extensions(),
          updatedAt: new Date().toISOString(),
        })
      } catch (error) {
        await this.#revert(error)
        throw error
      }
      if (python) this.#committedPython!.committed(python, backend!)
      this.#committed = { messageCount, workspace: workspace ?? this.#committed.workspace, pending }
    }
    const next = this.#saving.then(save, save)
    this.#saving = next.catch(() => {})
    return next
  }

  /**
   * After a failed save: the messages, the pending approvals, the Python namespace and the
   * workspace files go back to what the store holds, so the operation whose save failed left
   * nothing behind (the store and the session both lack it) and the next save starts from the
   * stored record. A failure of the
   * revert itself is attached to `error` (`revertError`) and does not hide it.
   */
  async #revert(error: unknown): Promise<void> {
    const committed = this.#committed
    this.#messages.splice(committed.messageCount)
    this.#pending = [...committed.pending]
    try {
      const backend = this.#settings.pythonBackend
      if (backend && this.#committedPython) await this.#committedPython.restore(backend)
      if (this.#settings.workspace && committed.workspace)
        await this.#settings.workspace.revert(committed.workspace)
    } catch (revertError) {
      if (typeof error === 'object' && error !== null) Object.assign(error, { revertError })
    }
  }

  #begin(signal: AbortSignal | undefined): Operation {
    this.#checkOpen()
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidArgumentError('signal', 'signal must be an AbortSignal.')
    }
    const controller = new AbortController()
    this.#operations.add(controller)
    let detach = () => {}
    if (signal) {
      if (signal.aborted) controller.abort(signal.reason)
      else {
        const onAbort = () => controller.abort(signal.reason)
        signal.addEventListener('abort', onAbort, { once: true })
        detach = () => signal.removeEventListener('abort', onAbort)
      }
    }
    let failure: unknown
    return {
      signal: controller.signal,
      fail: (error) => {
        failure ??= error
        controller.abort(error)
      },
      get failure() {
        return failure
      },
      done: () => {
        detach()
        this.#operations.delete(controller)
      },
    }
  }

  async #exclusive<T>(op: Operation, work: () => Promise<T>): Promise<T> {
    const previous = this.#promptLock
    let release!: () => void
    const current = new Promise<void>((resolve) => {
      release = resolve
    })
    this.#promptLock = previous.then(() => current)
    try {
      await raceAbort(previous, op.signal)
      return await work()
    } finally {
      release()
    }
  }

  #checkPrompt(text: string): void {
    this.#checkOpen()
    if (typeof text !== 'string' || text.trim() === '') {
      throw new InvalidArgumentError('text', 'A prompt needs non-empty text.')
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('session')
  }

  #requireBackend(method: string): PythonBackend {
    this.#checkOpen()
    const backend = this.#settings.pythonBackend
    if (!backend) {
      throw new NotConfiguredError(
        'pythonBackend',
        `session.${method}() needs a Python backend: pass pythonBackend: 'monty' to init() (and install it with: pnpm add @pyflue/backend-monty), or a PythonBackendFactory.`,
      )
    }
    return backend
  }

  #requireSandbox(method: string): Sandbox {
    this.#checkOpen()
    const sandbox = this.#settings.sandbox
    if (!sandbox) {
      throw new NotConfiguredError(
        'sandbox',
        `session.${method}() needs a sandbox: pass sandbox: 'virtual' to init() (and install it with: pnpm add @pyflue/sandbox-virtual), or a SandboxFactory.`,
      )
    }
    return sandbox
  }
}

/** An abort is always an `AbortError`; a reply that did not match the schema is a `ResultValidationError`. */
function normalizeFailure(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return isAbortError(error) ? error : createAbortError(signal)
  if (NoObjectGeneratedError.isInstance(error) || NoOutputGeneratedError.isInstance(error)) {
    const text = (error as { text?: unknown }).text
    const issues = (error.cause as { issues?: unknown } | undefined)?.issues
    return new ResultValidationError(
      Array.isArray(issues) && issues.length > 0 ? issues : [{ message: error.message }],
      typeof text === 'string' ? text : undefined,
    )
  }
  return error
}

function readTypedOutput(read: () => unknown, text: string): unknown {
  try {
    return read()
  } catch (error) {
    throw new ResultValidationError([{ message: (error as Error).message }], text)
  }
}
