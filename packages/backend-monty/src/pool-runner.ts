/**
 * The entry of a pool process (`child_process.fork` of `dist/pool-runner.js`). It holds no
 * session state: it executes one program at a time and asks the parent for every name lookup
 * and external call, exactly as the in-thread path does, and sends print output as it comes.
 */
import { type MontyComplete, MontyNameLookup, MontySnapshot, MountDir } from '@pydantic/monty'
import { ValueConversionError } from '@pyflue/core'
import { MontyFailure, toMontyFailure } from './monty-failure.js'
import { watchParent } from './parent-watch.js'
import type { FromRunner, ToRunner } from './pool-protocol.js'
import { cachedMonty } from './program-cache.js'
import { analyzeSnippet } from './snippet-analysis.js'
import { markTuples, unmarkTuples } from './tuple-mark.js'
import { typeCheckDiagnostics } from './type-check.js'
import { ValueBudget, type ValueBudgetLimits } from './value-budget.js'

const send = (message: FromRunner): void => {
  process.send!(message)
}

let progress: MontySnapshot | MontyNameLookup | MontyComplete | undefined
/** Program sources by the ids the parent gave them (`program-ids.ts`). */
const programs = new Map<number, string>()
let valueLimits: ValueBudgetLimits = { maxNodes: 1, maxBytes: 1 }

/** A value to send, charged to a fresh budget: over it, nothing is sent. */
const budgeted = (value: unknown, path: string, budget = new ValueBudget(valueLimits)) =>
  markTuples(value, budget, path)

function report(): void {
  for (;;) {
    if (progress instanceof MontyNameLookup) {
      send({ type: 'lookup', name: progress.variableName })
      return
    }
    if (progress instanceof MontySnapshot) {
      let args: unknown
      let kwargs: unknown
      try {
        const budget = new ValueBudget(valueLimits)
        args = budgeted(progress.args, `${progress.functionName}() arguments`, budget)
        kwargs = budgeted(progress.kwargs, `${progress.functionName}() arguments`, budget)
      } catch (error) {
        if (!(error instanceof ValueConversionError)) throw error
        // Arguments too big to cross: the call raises in Python, as a refused argument does.
        progress = progress.resume({ exception: { type: 'TypeError', message: error.message } })
        continue
      }
      send({ type: 'call', name: progress.functionName, args, kwargs })
      return
    }
    complete((progress as MontyComplete).output)
    return
  }
}

function complete(output: unknown): void {
  progress = undefined
  let marked: unknown
  try {
    marked = budgeted(output, 'result')
  } catch (error) {
    if (!(error instanceof ValueConversionError)) throw error
    const suffix = ` (at ${error.path})`
    const message = error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message
    send({ type: 'value-error', path: error.path, found: error.found, message })
    return
  }
  send({ type: 'complete', output: marked })
}

function fail(error: unknown): void {
  const failure = toMontyFailure(error)
  progress = undefined
  if (failure instanceof MontyFailure) {
    send({
      type: 'error',
      kind: failure.kind,
      typeName: failure.typeName,
      message: failure.pythonMessage,
      frames: failure.frames,
    })
  } else {
    send({
      type: 'error',
      kind: 'other',
      typeName: String((failure as Error)?.name ?? 'Error'),
      message: String((failure as Error)?.message ?? failure),
      frames: [],
    })
  }
}

function handle(message: ToRunner): void {
  try {
    if (message.type === 'analyze') {
      send({ type: 'analysis', analysis: analyzeSnippet(message.code) })
      return
    }
    if (message.type === 'typecheck') {
      const diagnostics = typeCheckDiagnostics(message.code, message.prefix)
      send({ type: 'typechecked', ...(diagnostics === undefined ? {} : { diagnostics }) })
      return
    }
    if (message.type === 'dump') {
      if (!(progress instanceof MontySnapshot))
        throw new Error('Only a program paused at a call can be dumped.')
      send({ type: 'dumped', bytes: new Uint8Array(progress.dump()) })
      return
    }
    if (message.type === 'run' && message.snapshot) {
      valueLimits = message.valueLimits
      progress = MontySnapshot.load(Buffer.from(message.snapshot), {
        printCallback: (_stream: string, text: string) => {
          send({ type: 'print', text })
          return undefined
        },
      })
    } else if (message.type === 'run') {
      valueLimits = message.valueLimits
      for (const id of message.forget ?? []) programs.delete(id)
      if (message.source !== undefined && message.programId !== undefined)
        programs.set(message.programId, message.source)
      const source = message.programId === undefined ? undefined : programs.get(message.programId)
      if (source === undefined)
        throw new Error(`Unknown program ${message.programId} (the parent did not send it)`)
      const monty = cachedMonty(source, message.scriptName, message.inputNames)
      const mount: MountDir[] = []
      for (const m of message.mounts) {
        try {
          mount.push(
            new MountDir(m.sandboxPath, m.hostDir, {
              mode: m.mode,
              ...(m.writeBytesLimit === undefined ? {} : { writeBytesLimit: m.writeBytesLimit }),
            }),
          )
        } catch (error) {
          progress = undefined
          const reason = String((error as Error)?.message ?? error)
          send({ type: 'error', kind: 'mount', typeName: m.sandboxPath, message: reason, frames: [] })
          return
        }
      }
      const options = {
        ...(message.inputNames.length > 0
          ? { inputs: unmarkTuples(message.inputs) as Record<string, unknown> }
          : {}),
        limits: message.limits,
        printCallback: (_stream: string, text: string) => {
          send({ type: 'print', text })
          return undefined
        },
        ...(mount.length > 0 ? { mount } : {}),
      }
      if (!message.canPause) {
        complete(monty.run(options))
        return
      }
      progress = monty.start(options)
    } else if (message.type === 'lookup') {
      progress = (progress as MontyNameLookup).resume(
        message.has ? { value: unmarkTuples(message.value) } : undefined,
      )
    } else {
      progress = (progress as MontySnapshot).resume(
        message.exception ? { exception: message.exception } : { returnValue: unmarkTuples(message.value) },
      )
    }
    report()
  } catch (error) {
    fail(error)
  }
}

process.on('message', (message) => handle(message as ToRunner))
// The parent owns this process: when it goes away, so does the process, at once when idle
// (disconnect) and within a poll interval when Monty holds the main thread (`parent-watch.ts`).
process.on('disconnect', () => process.exit(0))
watchParent()
send({ type: 'ready' })
