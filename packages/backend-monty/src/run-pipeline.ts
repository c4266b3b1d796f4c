/**
 * A planned run from execution to its end, for `MontyBackend` (`monty-backend.ts`), which owns
 * the namespace and hands over what a run needs as an `Engine`:
 *
 * - `planProgram`: the run's plan (`run-plan.ts`) and its program, built once per plan.
 * - `driveRun`: asks the engine's `Executor` for an execution, drives it pause by pause
 *   (`run-drive.ts`), answering host calls (`host-calls.ts`) or, for `start`/`resume`, pausing
 *   at a selected external call: the program is then dumped into a `PythonPause`
 *   (`run-pause.ts`) and nothing commits. A completed run is read back and committed
 *   (`run-commit.ts`) and its result validated. Every failure is a PyFlue error
 *   (`run-errors.ts`) and leaves the namespace as it was.
 */
import { performance } from 'node:perf_hooks'
import {
  createAbortError,
  type ExternalFunctions,
  type HostDirectoryMount,
  type PythonPause,
  type PythonRunResult,
  type PythonStartOptions,
  type PythonStartResult,
  type ResourceLimits,
  raceAbort,
  type StandardSchemaV1,
  validateWithSchema,
} from '@pyflue/core'
import type { DataclassRegistry } from './dataclass-registry.js'
import type { Execution, ExecutionRequest, Executor, Step } from './execution.js'
import { prepareExternals, wrapperSource } from './external-functions.js'
import { answerHostCall, callArguments, externalCall, externalOfCall, needsRecheck } from './host-calls.js'
import { hostPathRedactor } from './host-paths.js'
import { explainNotKept } from './not-kept.js'
import { buildProgram, type Program, type ProgramCache } from './program-builder.js'
import { commitRun, type RunOutput, readRunOutput } from './run-commit.js'
import { type DriveFrom, type DriveOutcome, driveExecution } from './run-drive.js'
import { toPyFlueError } from './run-errors.js'
import { type RunClock, raceDeadline } from './run-limits.js'
import type { RunMounts } from './run-mounts.js'
import { callSite, makePause, type PausePayload, pauseHeader, selectsCall } from './run-pause.js'
import { planRun, type RunPlan } from './run-plan.js'
import type { StdoutCapture } from './run-stdout.js'
import { type SessionState, stateVersionOf } from './session-state.js'
import type { SnippetAnalysis } from './snippet-analysis.js'
import type { ValueBudgetLimits } from './value-budget.js'
import { whileOpen } from './while-open.js'

/** What a run needs of its backend. */
export interface Engine {
  readonly name: string
  readonly engineVersion: string
  /** The session namespace now (a run reads it and a completed run commits into it). */
  readonly state: SessionState
  readonly executor: Executor
  /** Aborted by the backend's `close()`. */
  readonly closer: AbortSignal
  readonly dataclasses: DataclassRegistry
  readonly valueLimits: ValueBudgetLimits
  readonly programs: ProgramCache
  /** The mounts errors are scrubbed of. */
  knownMounts(): readonly HostDirectoryMount[]
  /** Records the execution in progress (so `close()` can stop it). */
  setCurrent(execution: Execution | undefined): void
  /** Throws `ClosedError` once the backend is closed. */
  checkOpen(): void
}

/** The plan of a run and its program (built once per plan). */
export function planProgram(
  engine: Engine,
  code: string,
  scriptName: string,
  analysis: SnippetAnalysis,
  runInputs: ReadonlyMap<string, unknown>,
  externalFunctions: ExternalFunctions | undefined,
  scalarOnly?: boolean,
): { plan: RunPlan; program: Program } {
  const plan = planRun({
    ...(scalarOnly === undefined ? {} : { scalarOnly }),
    code,
    scriptName,
    analysis,
    state: engine.state,
    runInputs,
    externals: prepareExternals(externalFunctions),
    isDataclass: (name) => engine.dataclasses.byName(name) !== undefined,
  })
  const program = engine.programs.get(plan.key, () =>
    buildProgram({
      scriptName,
      declare: [...plan.declare],
      wrappers: plan.wrapped.map(wrapperSource),
      definitions: [...plan.definitions],
      userCode: code,
      ...(analysis.lastExpression ? { lastExpression: analysis.lastExpression } : {}),
      collect: [...plan.collect],
      collectAfterMarker: [...plan.collectAfterMarker],
      renamedInputs: [...plan.renamedInputs],
      sessionValues: [...plan.sessionValues],
      scalarOnly: plan.scalarOnly,
    }),
  )
  return { plan, program }
}

/**
 * Executes a planned run and drives it to its end: a pause (`pausing` and a selected call:
 * the program is dumped and nothing commits) or completion (read back and committed).
 */
export async function driveRun(
  engine: Engine,
  run: DrivenRun,
  from?: DriveFrom,
): Promise<PythonRunResult | PythonPause> {
  const { plan, program, analysis, limits, clock, request, options } = run
  const { signal } = options
  const state = engine.state
  const mounts = run.runMounts?.mounts ?? []
  const execution = await engine.executor.execution(request, mounts, signal)
  if (signal?.aborted) {
    execution.dispose(createAbortError(signal))
    throw createAbortError(signal)
  }
  engine.setCurrent(execution)
  const onAbort = () => execution.dispose(createAbortError(signal))
  signal?.addEventListener('abort', onAbort, { once: true })
  const guard = <T>(promise: Promise<T>) =>
    whileOpen(engine.closer, signal ? raceAbort(promise, signal) : promise)
  let outcome: DriveOutcome
  let pause: PythonPause | undefined
  try {
    outcome = await driveExecution(
      execution,
      {
        guard,
        lookup: (name) =>
          !plan.shadowed(name) && state.data.has(name) ? { value: state.data.get(name) } : undefined,
        answer: (call) =>
          whileOpen(
            engine.closer,
            answerHostCall(call, {
              externals: plan.externals,
              dataclasses: engine.dataclasses,
              valueLimits: engine.valueLimits,
              clock,
              maxDurationSecs: limits.maxDurationSecs!,
              signal,
              redact: (message) => hostPathRedactor(engine.knownMounts())(message),
            }),
          ),
        signal,
        deadline: clock.deadline,
        maxDurationSecs: limits.maxDurationSecs!,
        ...(run.pausing ? { pauseAt: (call: CallStep) => pausesAt(engine, call, plan, options) } : {}),
      },
      from,
    )
    if (outcome.kind === 'paused') pause = pauseOf(engine, run, outcome, await guard(execution.dump()))
  } catch (error) {
    throw explainNotKept(toPyFlueError(error, program, analysis, limits), state)
  } finally {
    signal?.removeEventListener('abort', onAbort)
    engine.setCurrent(undefined)
    execution.dispose()
    // Before the commit: a run the sandbox refuses at its end leaves the namespace as it was.
    await run.runMounts?.release()
  }
  // Closed while the run was in progress: it ends with the closed error, never a result.
  engine.checkOpen()
  if (pause) return pause
  return finishRun(engine, run, (outcome as Extract<DriveOutcome, { kind: 'complete' }>).output)
}

/** Whether a run of `start`/`resume` pauses at `call`: an external's call that `pauseOn` selects. */
function pausesAt(engine: Engine, call: CallStep, plan: RunPlan, options: PythonStartOptions): boolean {
  const target = externalCall(call.name, plan.externals)
  // A call Python must check first is answered (with the recheck); its checked call may pause.
  if (!target || needsRecheck(call, target.checked)) return false
  const external = target.external
  // Selected by name: a call not named is answered without converting its arguments twice.
  if (Array.isArray(options.pauseOn) && !options.pauseOn.includes(external.name)) return false
  let args: { args: unknown[]; kwargs: Record<string, unknown> }
  try {
    args = callArguments(call, external.name, engine.dataclasses, engine.valueLimits)
  } catch {
    return false // arguments that cannot cross: the call raises TypeError as in run
  }
  return selectsCall(options.pauseOn, { name: external.name, ...args })
}

/** The `PythonPause` of a run paused at `outcome.call`, its program dumped as `snapshot`. */
function pauseOf(
  engine: Engine,
  run: DrivenRun,
  outcome: Extract<DriveOutcome, { kind: 'paused' }>,
  snapshot: Uint8Array,
): PythonPause {
  const external = externalOfCall(outcome.call.name, run.plan.externals)!
  const site = callSite(run.code, external.name)
  const expiresIn = run.options.pauseExpiresInMs
  const header = pauseHeader({
    backend: engine.name,
    engineVersion: engine.engineVersion,
    stateVersion: stateVersionOf(engine.state),
    ...(expiresIn === undefined ? {} : { expiresAt: Date.now() + expiresIn }),
    functionName: external.name,
    ...(site ?? {}),
    stdout: run.stdout.text(),
    runningMs: Math.max(0, run.limits.maxDurationSecs! * 1000 - (run.clock.deadline - Date.now())),
  })
  const payload: PausePayload = {
    code: run.code,
    scriptName: run.scriptName,
    inputNames: run.inputNames,
    planKey: run.plan.key,
    scalarOnly: run.plan.scalarOnly,
    limits: run.limits,
    snapshot,
    afterMarker: outcome.afterMarker,
    rawCall: { name: outcome.call.name, args: [...outcome.call.args], kwargs: { ...outcome.call.kwargs } },
    stdoutTruncated: run.stdout.truncated,
  }
  const call = {
    name: external.name,
    ...callArguments(outcome.call, external.name, engine.dataclasses, engine.valueLimits),
  }
  return makePause(header, payload, call)
}

/** Reads a completed run's output back, commits it, and makes the run's result. */
async function finishRun(engine: Engine, run: DrivenRun, output: unknown): Promise<PythonRunResult> {
  const { plan, program, analysis, limits, clock, stdout, options, scriptName } = run
  const state = engine.state
  // Check everything before changing the namespace: a refused result leaves it as it was.
  const names = [...plan.collect, ...plan.collectAfterMarker]
  const { result, outcomes } = readRunOutput(
    output as RunOutput,
    names,
    engine.dataclasses,
    engine.valueLimits,
    plan.scalarOnly,
  )
  const notKept = commitRun(state, names, outcomes, analysis.definitions.values(), scriptName)

  // Validation is the caller's code: it runs under the run's deadline, signal and close().
  const finalResult = options.result
    ? await whileOpen(
        engine.closer,
        raceDeadline(
          Promise.resolve().then(() => validateWithSchema(options.result!, result)),
          clock.deadline,
          limits.maxDurationSecs!,
          options.signal,
        ),
      )
    : result
  const metadata: Record<string, unknown> = { programBytes: program.source.length }
  if (stdout.truncated) metadata.stdoutTruncated = true
  return {
    result: finalResult,
    stdout: stdout.text(),
    backend: engine.name,
    durationMs: performance.now() - run.started,
    ...(notKept.length > 0 ? { notKept } : {}),
    metadata,
  }
}

type CallStep = Extract<Step, { kind: 'call' }>

/** A run's outcome as `start`/`resume` resolve it: a pause as it is, a finished run marked complete. */
export function asStartResult(outcome: PythonRunResult | PythonPause): PythonStartResult {
  if ('status' in outcome && outcome.status === 'paused') return outcome
  return { ...(outcome as PythonRunResult), status: 'complete' }
}

/** A planned run on its way through `#drive` and `#finish`. */
export interface DrivenRun {
  readonly code: string
  readonly scriptName: string
  readonly inputNames: readonly string[]
  readonly analysis: SnippetAnalysis
  readonly plan: RunPlan
  readonly program: Program
  readonly limits: ResourceLimits
  readonly clock: RunClock
  readonly request: ExecutionRequest
  readonly runMounts: RunMounts | undefined
  readonly stdout: StdoutCapture
  readonly started: number
  readonly options: PythonStartOptions<StandardSchemaV1 | undefined>
  readonly pausing: boolean
}
