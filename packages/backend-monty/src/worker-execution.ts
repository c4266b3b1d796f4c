import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { HostDirectoryMount } from '@pyflue/core'
import {
  type CallAnswer,
  type Execution,
  type ExecutionRequest,
  MontyFailure,
  type Step,
} from './execution.js'

/**
 * Runs programs on a worker thread, so an abort can stop a snippet that is busy computing
 * (`worker.terminate()`); used only for runs given a `signal`. The worker holds no session state:
 * it executes one program and asks the engine for every name lookup and call, exactly as the
 * in-process path does.
 *
 * Values cross by structured clone, which keeps `Map`, `Set`, `bigint`, bytes, NaN and -0; the
 * one thing it drops, the `__tuple__` mark of arrays, is carried as `{ __pf_tuple__: [...] }`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const mark = (v) => {
  if (Array.isArray(v)) { const out = v.map(mark); return v.__tuple__ === true ? { __pf_tuple__: out } : out }
  if (v instanceof Map) { const m = new Map(); for (const [k, x] of v) m.set(mark(k), mark(x)); return m }
  if (v instanceof Set) { const s = new Set(); for (const x of v) s.add(mark(x)); return s }
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) { const o = {}; for (const k of Object.keys(v)) o[k] = mark(v[k]); return o }
  return v
}
const unmark = (v) => {
  if (Array.isArray(v)) return v.map(unmark)
  if (v instanceof Map) { const m = new Map(); for (const [k, x] of v) m.set(unmark(k), unmark(x)); return m }
  if (v instanceof Set) { const s = new Set(); for (const x of v) s.add(unmark(x)); return s }
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    const keys = Object.keys(v)
    if (keys.length === 1 && keys[0] === '__pf_tuple__') { const a = v.__pf_tuple__.map(unmark); Object.defineProperty(a, '__tuple__', { value: true, enumerable: true }); return a }
    const o = {}; for (const k of keys) o[k] = unmark(v[k]); return o
  }
  return v
}
let monty
let progress
const programs = new Map()
const parse = (source, scriptName, inputs) => {
  const key = scriptName + '\\0' + inputs.join(',') + '\\0' + source
  let program = programs.get(key)
  if (program) { programs.delete(key); programs.set(key, program); return program }
  program = new monty.Monty(source, { scriptName, inputs })
  programs.set(key, program)
  if (programs.size > 256) programs.delete(programs.keys().next().value)
  return program
}
const fail = (error) => {
  const isSyntax = error instanceof monty.MontySyntaxError
  const isRuntime = error instanceof monty.MontyRuntimeError
  if (!isSyntax && !isRuntime) return parentPort.postMessage({ type: 'error', kind: 'other', message: String(error && error.message || error) })
  const info = error.exception
  const frames = isRuntime ? error.traceback().map((f) => ({ line: f.line, column: f.column, functionName: f.functionName })) : []
  parentPort.postMessage({ type: 'error', kind: isSyntax ? 'syntax' : 'runtime', typeName: info.typeName, message: info.message, frames })
}
const report = () => {
  if (progress instanceof monty.MontyNameLookup) return parentPort.postMessage({ type: 'lookup', name: progress.variableName })
  if (progress instanceof monty.MontySnapshot) return parentPort.postMessage({ type: 'call', name: progress.functionName, args: mark(progress.args), kwargs: mark(progress.kwargs) })
  parentPort.postMessage({ type: 'complete', output: mark(progress.output) })
}
parentPort.on('message', async (msg) => {
  monty ??= await import(workerData.montyUrl)
  try {
    if (msg.type === 'run') {
      const program = parse(msg.source, msg.scriptName, msg.inputNames)
      const mount = msg.mounts.map((m) => new monty.MountDir(m.sandboxPath, m.hostDir, { mode: m.mode }))
      progress = program.start({
        ...(msg.inputNames.length > 0 ? { inputs: unmark(msg.inputs) } : {}),
        limits: msg.limits,
        printCallback: (_stream, text) => { parentPort.postMessage({ type: 'print', text }); return undefined },
        ...(mount.length > 0 ? { mount } : {}),
      })
    } else if (msg.type === 'lookup') {
      progress = progress.resume(msg.has ? { value: unmark(msg.value) } : undefined)
    } else if (msg.type === 'call') {
      progress = progress.resume(msg.exception ? { exception: msg.exception } : { returnValue: unmark(msg.value) })
    }
    report()
  } catch (error) {
    fail(error)
  }
})
`

function mark(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out = value.map(mark)
    return (value as { __tuple__?: unknown }).__tuple__ === true ? { __pf_tuple__: out } : out
  }
  if (value instanceof Map) {
    const out = new Map()
    for (const [key, entry] of value) out.set(mark(key), mark(entry))
    return out
  }
  if (value instanceof Set) {
    const out = new Set()
    for (const item of value) out.add(mark(item))
    return out
  }
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) out[key] = mark((value as Record<string, unknown>)[key])
    return out
  }
  return value
}

function unmark(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unmark)
  if (value instanceof Map) {
    const out = new Map()
    for (const [key, entry] of value) out.set(unmark(key), unmark(entry))
    return out
  }
  if (value instanceof Set) {
    const out = new Set()
    for (const item of value) out.add(unmark(item))
    return out
  }
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const keys = Object.keys(value)
    if (keys.length === 1 && keys[0] === '__pf_tuple__') {
      const items = ((value as { __pf_tuple__: unknown[] }).__pf_tuple__ ?? []).map(unmark)
      Object.defineProperty(items, '__tuple__', { value: true, enumerable: true })
      return items
    }
    const out: Record<string, unknown> = {}
    for (const key of keys) out[key] = unmark((value as Record<string, unknown>)[key])
    return out
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return value
}

type WorkerMessage =
  | { type: 'print'; text: string }
  | { type: 'lookup'; name: string }
  | { type: 'call'; name: string; args: unknown[]; kwargs: Record<string, unknown> }
  | { type: 'complete'; output: unknown }
  | {
      type: 'error'
      kind: 'syntax' | 'runtime' | 'other'
      typeName?: string
      message: string
      frames?: { line: number; column: number; functionName?: string }[]
    }

let montyUrl: string | undefined

/** A worker that runs one program at a time; `terminate()` stops it wherever it is. */
export class MontyWorker {
  readonly #worker: Worker
  #onMessage: ((message: WorkerMessage) => void) | undefined
  #onPrint: ((text: string) => void) | undefined
  #failure: ((error: Error) => void) | undefined
  #dead = false

  constructor() {
    montyUrl ??= pathToFileURL(createRequire(import.meta.url).resolve('@pydantic/monty')).href
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { montyUrl } })
    this.#worker.unref()
    this.#worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'print') this.#onPrint?.(message.text)
      else this.#onMessage?.(message)
    })
    const die = (error: Error) => {
      this.#dead = true
      this.#failure?.(error)
    }
    this.#worker.on('error', die)
    this.#worker.on('exit', () => die(new Error('The Monty worker exited.')))
  }

  get dead(): boolean {
    return this.#dead
  }

  terminate(): void {
    this.#dead = true
    void this.#worker.terminate()
  }

  /** An execution on this worker. */
  execution(request: ExecutionRequest, mounts: readonly HostDirectoryMount[]): Execution {
    const send = (message: Record<string, unknown>) =>
      new Promise<Step>((resolve, reject) => {
        this.#failure = reject
        this.#onMessage = (reply) => {
          this.#onMessage = undefined
          this.#failure = undefined
          switch (reply.type) {
            case 'lookup':
              return resolve({ kind: 'lookup', name: reply.name })
            case 'call':
              return resolve({
                kind: 'call',
                name: reply.name,
                args: unmark(reply.args) as unknown[],
                kwargs: unmark(reply.kwargs) as Record<string, unknown>,
              })
            case 'complete':
              return resolve({ kind: 'complete', output: unmark(reply.output) })
            case 'error':
              if (reply.kind === 'other') return reject(new Error(reply.message))
              return reject(
                new MontyFailure(reply.kind, reply.typeName ?? 'Error', reply.message, reply.frames ?? []),
              )
          }
        }
        this.#worker.ref()
        this.#worker.postMessage(message)
      }).finally(() => this.#worker.unref())
    this.#onPrint = request.printCallback
    return {
      start: () =>
        send({
          type: 'run',
          source: request.source,
          scriptName: request.scriptName,
          inputNames: [...request.inputNames],
          inputs: mark(request.inputs),
          limits: request.limits,
          mounts: mounts.map((m) => ({ sandboxPath: m.sandboxPath, hostDir: m.hostDir, mode: m.mode })),
        }),
      resumeLookup: (value) =>
        send(
          value ? { type: 'lookup', has: true, value: mark(value.value) } : { type: 'lookup', has: false },
        ),
      resumeCall: (answer: CallAnswer) =>
        send(
          'exception' in answer
            ? { type: 'call', exception: answer.exception }
            : { type: 'call', value: mark(answer.value) },
        ),
      dispose: () => this.terminate(),
    }
  }
}
