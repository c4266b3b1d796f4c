/**
 * Every span, attribute and metric name PyFlue emits (the harness, and backends and sandboxes
 * used alone), in one place. Names follow the OpenTelemetry GenAI semantic conventions where one
 * applies (`gen_ai.*`, `error.type`); the rest live in the `pyflue.*` namespace. The harness
 * README ("Traces and metrics") lists them with their meaning.
 */

/** Span names. */
export const SPAN = {
  prompt: 'pyflue.session.prompt',
  /** Followed by a space and the tool's name, as the GenAI conventions name tool spans. */
  tool: 'execute_tool',
  pythonRun: 'pyflue.python.run',
  externalCall: 'pyflue.python.external_call',
  sandboxExec: 'pyflue.sandbox.exec',
  sandboxFile: 'pyflue.sandbox.file',
  storeLoad: 'pyflue.store.load',
  storeSave: 'pyflue.store.save',
  storeDelete: 'pyflue.store.delete',
} as const

/** Attribute names. */
export const ATTR = {
  // OpenTelemetry GenAI semantic conventions.
  operationName: 'gen_ai.operation.name',
  conversationId: 'gen_ai.conversation.id',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  // OpenTelemetry general conventions.
  errorType: 'error.type',
  // pyflue.*
  streamed: 'pyflue.prompt.streamed',
  maxSteps: 'pyflue.prompt.max_steps',
  steps: 'pyflue.prompt.steps',
  stepsExhausted: 'pyflue.prompt.steps_exhausted',
  outcome: 'pyflue.outcome',
  operation: 'pyflue.operation',
  backend: 'pyflue.python.backend',
  codeLength: 'pyflue.python.code.length',
  code: 'pyflue.python.code',
  scriptName: 'pyflue.python.script_name',
  limit: 'pyflue.python.limit',
  exceptionType: 'pyflue.python.exception_type',
  poolState: 'pyflue.python.pool.state',
  poolId: 'pyflue.python.pool.id',
  functionName: 'pyflue.python.function.name',
  sandbox: 'pyflue.sandbox.name',
  command: 'pyflue.sandbox.command',
  commandText: 'pyflue.sandbox.command.text',
  exitCode: 'pyflue.sandbox.exit_code',
  fileOperation: 'pyflue.sandbox.operation',
  path: 'pyflue.sandbox.path',
  found: 'pyflue.store.found',
} as const

/** Metric names. */
export const METRIC = {
  runs: 'pyflue.python.runs',
  runDuration: 'pyflue.python.run.duration',
  limitHits: 'pyflue.python.limit_hits',
  aborts: 'pyflue.aborts',
  sandboxCommands: 'pyflue.sandbox.commands',
  storeConflicts: 'pyflue.store.conflicts',
  /** Observable gauge: a pool's processes, by `pyflue.python.pool.state` (`busy`, `idle`). */
  poolProcesses: 'pyflue.python.pool.processes',
  /** Observable gauge: runs waiting for a pool process. */
  poolPendingRuns: 'pyflue.python.pool.pending_runs',
} as const

/** Values of `pyflue.outcome`. */
export type Outcome = 'ok' | 'error' | 'limit' | 'aborted'
