/**
 * Where a run begins, for `MontyBackend` (`monty-backend.ts`): `startRun` takes a snippet (of
 * `run` or `start`) through its checks, analysis, plan, type check and mounts into the request
 * `driveRun` executes (`run-pipeline.ts`); `resumeRun` takes a pause (`run-pause.ts`) through
 * its checks (backend, engine, state, expiry, answer), plans the same program again and hands
 * `driveRun` the loaded snapshot with the paused call's answer.
 */
import { performance } from 'node:perf_hooks'
import {
  createAbortError,
  type HostDirectoryMount,
  InvalidArgumentError,
  PYTHON_RESUME_OPTION_KEYS,
  PYTHON_RUN_OPTION_KEYS,
  PYTHON_START_OPTION_KEYS,
  type PythonPause,
  type PythonResumeAnswer,
  type PythonResumeOptions,
  type PythonRunResult,
  type PythonStartOptions,
  PythonUnsupportedError,
  type ResourceLimits,
  refuseUnknownKeys,
  type Sandbox,
  type StandardSchemaV1,
} from '@pyflue/core'
import { analysisOf } from './analysis-cache.js'
import type { ExecutionRequest } from './execution.js'
import type { MontyPool } from './monty-pool.js'
import { renamedInput } from './program-builder.js'
import { runInputsOf } from './run-inputs.js'
import { checkLimits, montyLimitsOf, RunClock } from './run-limits.js'
import { openRunMounts, type RunMounts } from './run-mounts.js'
import { answerOf, checkPauseOptions, readPause } from './run-pause.js'
import { driveRun, type Engine, planProgram } from './run-pipeline.js'
import { StdoutCapture } from './run-stdout.js'
import { typeCheckRun } from './run-type-check.js'
import { stateVersionOf } from './session-state.js'
import { ValueBudget } from './value-budget.js'
import { toMonty } from './value-conversion.js'
import { whileOpen } from './while-open.js'

/** What starting a run needs of its backend besides the `Engine`: its settings and mounts. */
export interface RunEngine extends Engine {
  readonly defaults: ResourceLimits
  readonly maxStdoutBytes: number
  readonly scriptName: string
  readonly sandbox: Sandbox | undefined
  readonly extraMounts: readonly HostDirectoryMount[]
  readonly maxWriteBytes: number
  /** The pool (analysis and type checks run there), or undefined in-thread. */
  readonly pool: MontyPool | undefined
  /** Records the mounts of the run in progress. */
  setMounts(mounts: RunMounts): void
}

/**
 * One run from its code: analysed, planned, built, executed and driven. With `pausing` (from
 * `start`), a selected external call pauses it instead (`#drive`).
 */
export async function startRun(
  engine: RunEngine,
  code: string,
  options: PythonStartOptions<StandardSchemaV1 | undefined>,
  pausing: boolean,
): Promise<PythonRunResult | PythonPause> {
  const started = performance.now()
  const signal = options.signal
  if (signal?.aborted) throw createAbortError(signal)
  if (typeof code !== 'string') throw new InvalidArgumentError('code', 'The code to run must be a string.')
  refuseUnknownKeys(
    options,
    pausing ? [...PYTHON_RUN_OPTION_KEYS, ...PYTHON_START_OPTION_KEYS] : PYTHON_RUN_OPTION_KEYS,
    pausing ? 'start options' : 'run options',
  )
  if (pausing) checkPauseOptions(options)
  const scriptName = options.scriptName ?? engine.scriptName
  const limits = { ...engine.defaults, ...checkLimits(options.resourceLimits, 'resourceLimits') }
  // The deadline counts from the call; time spent waiting for a pool process is given back.
  const clock = new RunClock(limits.maxDurationSecs!)
  const state = engine.state

  const analysis = await whileOpen(engine.closer, analysisOf(code, engine.pool, limits, clock, signal))
  if (analysis.unsupported) throw new PythonUnsupportedError(analysis.unsupported)

  const runInputs = runInputsOf(options.inputs, engine.dataclasses, engine.valueLimits)
  const { plan, program } = planProgram(
    engine,
    code,
    scriptName,
    analysis,
    runInputs,
    options.externalFunctions,
  )

  if (options.typeCheck) {
    await whileOpen(
      engine.closer,
      typeCheckRun(
        {
          code,
          scriptName,
          analysis,
          runInputs,
          externals: plan.externals,
          emitted: plan.emitted,
          data: state.data,
          dataclasses: engine.dataclasses,
        },
        engine.pool,
        limits,
        clock,
        signal,
      ),
    )
  }

  const runMounts = await openRunMounts(engine.sandbox, engine.extraMounts, engine.maxWriteBytes)
  engine.setMounts(runMounts)
  // With a mount, Monty's run() turns a call of an undefined name into an uncatchable "External
  // function ... called" error, so such runs pause instead and the call gets its `NameError`.
  const canPause = pausing || runMounts.mounts.length > 0 || plan.mayPause
  const stdout = new StdoutCapture(engine.maxStdoutBytes, options.onStdout)
  const passedInputs: Record<string, unknown> = { ...plan.montyInputs }
  for (const name of plan.renamedInputs) {
    passedInputs[renamedInput(name)] = passedInputs[name]
    delete passedInputs[name]
  }
  const request: ExecutionRequest = {
    source: program.source,
    scriptName,
    inputNames: Object.keys(passedInputs),
    inputs: passedInputs,
    limits: montyLimitsOf(limits),
    valueLimits: engine.valueLimits,
    clock,
    canPause,
    printCallback: stdout.print,
  }
  return driveRun(engine, {
    code,
    scriptName,
    inputNames: [...runInputs.keys()],
    analysis,
    plan,
    program,
    limits,
    clock,
    request,
    runMounts,
    stdout,
    started,
    options,
    pausing,
  })
}

/** Continues a paused run (`resume`): checked, planned again, loaded and driven on. */
export async function resumeRun(
  engine: RunEngine,
  pause: PythonPause | Uint8Array,
  answer: PythonResumeAnswer,
  options: PythonResumeOptions<StandardSchemaV1 | undefined>,
): Promise<PythonRunResult | PythonPause> {
  const started = performance.now()
  const signal = options.signal
  if (signal?.aborted) throw createAbortError(signal)
  refuseUnknownKeys(options, PYTHON_RESUME_OPTION_KEYS, 'resume options')
  checkPauseOptions(options)
  const state = engine.state
  const { header, payload } = readPause(pause, engine, stateVersionOf(state))
  const from = {
    answer: answerOf(answer, (value) =>
      toMonty(
        value,
        `${header.functionName}() return value`,
        engine.dataclasses,
        new ValueBudget(engine.valueLimits),
      ),
    ),
    afterMarker: payload.afterMarker,
  }
  const { code, scriptName, limits } = payload
  // The deadline covers running time: what the run had left when it paused.
  const clock = new RunClock(Math.max(0, limits.maxDurationSecs! * 1000 - header.runningMs) / 1000)
  const analysis = await whileOpen(engine.closer, analysisOf(code, engine.pool, limits, clock, signal))
  const runInputs = new Map(payload.inputNames.map((name) => [name, null]))
  const { plan, program } = planProgram(
    engine,
    code,
    scriptName,
    analysis,
    runInputs,
    options.externalFunctions,
    payload.scalarOnly,
  )
  if (plan.key !== payload.planKey) {
    throw new InvalidArgumentError(
      'externalFunctions',
      'resume must be given the same external functions (names and kinds) and dataclasses as start.',
    )
  }
  const stdout = new StdoutCapture(
    engine.maxStdoutBytes,
    options.onStdout,
    header.stdout,
    payload.stdoutTruncated,
  )
  const request: ExecutionRequest = {
    source: program.source,
    scriptName,
    inputNames: [],
    inputs: {},
    limits: montyLimitsOf(limits),
    valueLimits: engine.valueLimits,
    clock,
    canPause: true,
    printCallback: stdout.print,
    resumeFrom: payload.snapshot,
  }
  return driveRun(
    engine,
    {
      code,
      scriptName,
      inputNames: payload.inputNames,
      analysis,
      plan,
      program,
      limits,
      clock,
      request,
      runMounts: undefined,
      stdout,
      started,
      options,
      pausing: true,
    },
    from,
  )
}
