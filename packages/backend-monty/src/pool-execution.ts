/**
 * One run's `Execution` on a pool process (`monty-pool.ts` hands the process over): each step is
 * one request to the process (`pool-protocol.ts`), its reply read back as a `Step` or a PyFlue
 * error. A kill timer ends the process once the run's deadline (plus `KILL_GRACE_MS`) passes
 * while it computes. `dispose` kills a process still computing and gives a clean one back.
 */
import {
  ClosedError,
  ExecutionCrashedError,
  type HostDirectoryMount,
  ValueConversionError,
} from '@pyflue/core'
import type { CallAnswer, Execution, ExecutionRequest, Step } from './execution.js'
import { MontyFailure } from './monty-failure.js'
import { mountError } from './mount-error.js'
import type { PoolProcess } from './pool-process.js'
import type { MountSpec, ToRunner } from './pool-protocol.js'
import { durationError } from './run-limits.js'
import { markTuples, unmarkTuples } from './tuple-mark.js'

/** How long past its deadline a computing process is given before it is killed. */
const KILL_GRACE_MS = 50

/** What an execution needs of its pool: to kill a process, or take a clean one back. */
export interface PoolHooks {
  discard(proc: PoolProcess, reason: unknown): void
  release(proc: PoolProcess): void
}

/** The execution of `request` on `proc` (ready or starting), with `mountSpecs` recreated there. */
export function poolExecution(
  proc: PoolProcess,
  request: ExecutionRequest,
  mountSpecs: readonly HostDirectoryMount[],
  pool: PoolHooks,
): Execution {
  const limits = request.limits
  let done = false
  let killTimer: NodeJS.Timeout | undefined
  const killed = () =>
    durationError(
      limits.maxDurationSecs,
      'the wall-clock deadline passed and the process executing it was killed',
    )
  let expired = false
  const send = async (message: ToRunner): Promise<Step> => {
    if (done) throw new ClosedError('Monty pool execution')
    if (expired) {
      pool.discard(proc, killed())
      throw killed()
    }
    await proc.ready
    proc.onPrint = request.printCallback
    const reply = await proc.request(message, limits)
    switch (reply.type) {
      case 'lookup':
        return { kind: 'lookup', name: reply.name }
      case 'call':
        return {
          kind: 'call',
          name: reply.name,
          args: unmarkTuples(reply.args) as unknown[],
          kwargs: unmarkTuples(reply.kwargs) as Record<string, unknown>,
        }
      case 'complete':
        return { kind: 'complete', output: unmarkTuples(reply.output) }
      case 'value-error':
        throw new ValueConversionError({ path: reply.path, found: reply.found, message: reply.message })
      case 'error':
        if (reply.kind === 'mount') throw mountError(reply.typeName, reply.message)
        if (reply.kind === 'other') {
          // Not Python's failure but the process's own (its text is redacted on the way out).
          throw new ExecutionCrashedError({
            exitCode: null,
            signal: null,
            message: `The pool process executing the run failed: ${reply.typeName}: ${reply.message}`,
          })
        }
        throw new MontyFailure(reply.kind, reply.typeName, reply.message, reply.frames)
      default:
        throw new Error(`Unexpected message from a Monty pool process: ${reply.type}`)
    }
  }
  const mounts: MountSpec[] = mountSpecs.map((m) => ({
    sandboxPath: m.sandboxPath,
    hostDir: m.hostDir,
    mode: m.mode === 'read-only' ? 'read-only' : 'read-write',
    ...(m.writeBytesLimit === undefined ? {} : { writeBytesLimit: m.writeBytesLimit }),
  }))
  return {
    start: () => {
      const remainingMs = Math.max(1, request.clock.deadline - Date.now())
      killTimer = setTimeout(() => {
        expired = true
        if (proc.busy) pool.discard(proc, killed())
      }, remainingMs + KILL_GRACE_MS)
      killTimer.unref()
      return send({
        type: 'run',
        ...(request.resumeFrom ? {} : proc.programs.refer(request.source)),
        scriptName: request.scriptName,
        inputNames: [...request.inputNames],
        inputs: markTuples(request.inputs),
        // Monty's own timer gets what remains of the deadline.
        limits: { ...limits, maxDurationSecs: remainingMs / 1000 },
        valueLimits: request.valueLimits,
        canPause: request.canPause,
        mounts,
        ...(request.resumeFrom ? { snapshot: request.resumeFrom } : {}),
      })
    },
    dump: async () => {
      if (done) throw new ClosedError('Monty pool execution')
      const reply = await proc.request({ type: 'dump' }, limits)
      if (reply.type === 'dumped') return reply.bytes
      throw new ExecutionCrashedError({
        exitCode: null,
        signal: null,
        message: `The pool process could not dump the paused run: ${reply.type === 'error' ? reply.message : reply.type}`,
      })
    },
    resumeLookup: (value) =>
      send(
        value
          ? { type: 'lookup', has: true, value: markTuples(value.value) }
          : { type: 'lookup', has: false },
      ),
    resumeCall: (answer: CallAnswer) =>
      send(
        'exception' in answer
          ? { type: 'call', exception: answer.exception }
          : { type: 'call', value: markTuples(answer.value) },
      ),
    dispose: (reason?: unknown) => {
      if (done) return
      done = true
      clearTimeout(killTimer)
      proc.onPrint = undefined
      // Still computing (aborted, closed, or the engine gave up on it): kill it. Otherwise the
      // process is clean (a paused program is simply dropped by the next run) and goes back.
      if (proc.busy) pool.discard(proc, reason ?? new ClosedError('Monty pool execution'))
      else pool.release(proc)
    },
  }
}
