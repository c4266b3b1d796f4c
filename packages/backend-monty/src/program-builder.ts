import type { PythonTracebackFrame } from '@pyflue/core'
import { BUILTIN_BINDINGS_SOURCE, CHECK_ARGS_SOURCE } from './engine-python.js'
import { isBuiltinName } from './python-builtins.js'
import type { StoredDefinition } from './session-state.js'
import { DECODER_SOURCE, sessionValueBindings } from './session-values.js'
import { NAMED_SOURCE } from './value-aliases.js'
import { WALKER_SOURCE } from './value-notes.js'

/** Where a line of the program came from. */
type Segment =
  | { kind: 'engine'; start: number; lines: number }
  | { kind: 'definition'; start: number; lines: number; definition: StoredDefinition }
  | { kind: 'user'; start: number; lines: number }

/** The variable the rewritten last expression assigns. */
export const RESULT_NAME = '__pf_result'
const RESULT_PREFIX = `${RESULT_NAME} = `

/** The program one run executes, and how to map its lines back to the user's snippet. */
export interface Program {
  readonly source: string
  readonly segments: readonly Segment[]
  readonly userCode: string
  readonly scriptName: string
  /** 1-based line (in the user's snippet) of the rewritten last expression, and the column shift. */
  readonly rewrite?: { line: number; column: number; shift: number }
}

export interface ProgramParts {
  readonly scriptName: string
  /**
   * Every name the program binds at module level. Monty 0.0.18 resolves a function's global
   * names when it compiles the `def`, so a global first bound after the `def` would be a
   * `NameError`; a never-executed `if False:` block binding them all first avoids that.
   */
  readonly declare: readonly string[]
  readonly wrappers: readonly string[]
  readonly definitions: readonly StoredDefinition[]
  readonly userCode: string
  readonly lastExpression?: { from: number; to: number }
  /** Names to hand back at the end, with whether they come from lazy lookups (after the marker). */
  readonly collect: readonly string[]
  readonly collectAfterMarker: readonly string[]
  /**
   * Inputs named like a Python builtin. Monty lets the builtin win over an input of the same
   * name, so they arrive as `renamedInput(name)` and the program binds each to its own name, after
   * the engine has kept the builtins it calls under names of its own.
   */
  readonly renamedInputs?: readonly string[]
  /**
   * Session values that travel rebuilt (`session-values.ts`): the prologue binds each of these
   * names, in order, to its value decoded from the `SESSION_VALUES_INPUT` input.
   */
  readonly sessionValues?: readonly string[]
  /**
   * Every collected value and the result are proven plain scalars (`scalar-shape.ts`): they are
   * handed back with their type names, unwalked, and the program has no walker.
   */
  readonly scalarOnly?: boolean
}

/** The Monty input name under which an input named like a builtin is passed. */
export function renamedInput(name: string): string {
  return `__pf_in_${name}`
}

/**
 * The engine's own binding of `type` (one of the builtins its added code calls, all bound in
 * `WALKER_SOURCE` before any user value is), so a user's `type = 3` cannot break a run.
 */
const TYPE = '__pf_type'

/** The external call that tells the host the snippet has finished (lookups after it are not the snippet's). */
export const END_MARKER = '__pf_end'

function lineCount(text: string): number {
  let count = 1
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) count++
  return count
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`
}

/**
 * Builds: wrappers of externals, re-emitted session definitions, the user's snippet (its last
 * expression assigned to `__pf_result`), then an epilogue whose value is
 * `(result, type(result).__name__, [(value, type name) or None for each collected name], notes,
 * result notes)`, the notes being what `__pf_walk` says of the collected values and of the
 * result (`value-notes.ts`), all through the engine's own builtin bindings.
 */
export function buildProgram(parts: ProgramParts): Program {
  const segments: Segment[] = []
  const chunks: string[] = []
  let line = 1
  const push = (text: string, segment: Omit<Segment, 'start' | 'lines'> & Partial<Segment>) => {
    const body = ensureNewline(text)
    const lines = lineCount(body) - 1
    segments.push({ ...(segment as Segment), start: line, lines })
    chunks.push(body)
    line += lines
  }
  const declared = [...parts.declare, RESULT_NAME, '__pf_out']
  const sessionValues = parts.sessionValues ?? []
  // Without a value to hand back that may need it, or arguments to check, the walker is not needed.
  const walks =
    parts.wrappers.length > 0 ||
    (parts.scalarOnly !== true &&
      (parts.collect.length > 0 || parts.collectAfterMarker.length > 0 || parts.lastExpression !== undefined))
  // A module's function or type can be handed back only by a program that imports something.
  const imports = (text: string) => /\bimport\b/.test(text)
  const names = walks && (imports(parts.userCode) || parts.definitions.some((d) => imports(d.source)))
  const lines = (texts: readonly string[]) =>
    texts
      .filter((text) => text !== '')
      .map((text) => text.replace(/\n$/, ''))
      .join('\n')
  // The epilogue alone calls only `type`; the walker, wrappers and decoder need all the bindings.
  const bindsAll = walks || sessionValues.length > 0
  push(
    lines([
      bindsAll ? BUILTIN_BINDINGS_SOURCE : `${TYPE} = type`,
      ...(walks ? [WALKER_SOURCE] : []),
      ...(names ? [NAMED_SOURCE] : []),
      ...(sessionValues.length > 0 ? [DECODER_SOURCE] : []),
    ]),
    { kind: 'engine' },
  )
  // Aliases of builtins and of modules' functions bind before any user value can shadow a builtin.
  for (const definition of parts.definitions)
    if (definition.kind === 'alias') push(definition.source, { kind: 'definition', definition })
  const bindings = lines([
    ...(parts.renamedInputs ?? []).map((name) => `${name} = ${renamedInput(name)}`),
    sessionValueBindings(sessionValues),
  ])
  if (bindings !== '') push(bindings, { kind: 'engine' })
  // A builtin's name is declared by binding it to itself (the builtin, or the session value that
  // shadows it): Monty reads a name declared under `if False:` as unbound, never as the builtin,
  // so `f = len` before the snippet's own `len = 4` would fail. Monty lacks some builtins
  // (`eval`, …): for those the binding raises NameError and the name stays unbound, as declared.
  push(
    [
      'if False:',
      ...declared.filter((name) => !isBuiltinName(name)).map((name) => `    ${name} = None`),
      ...declared
        .filter(isBuiltinName)
        .map((name) => `try:\n    ${name} = ${name}\nexcept NameError:\n    pass`),
    ].join('\n'),
    { kind: 'engine' },
  )
  if (parts.wrappers.length > 0) push(CHECK_ARGS_SOURCE, { kind: 'engine' })
  for (const wrapper of parts.wrappers) push(wrapper, { kind: 'engine' })
  for (const definition of parts.definitions)
    if (definition.kind !== 'alias') push(definition.source, { kind: 'definition', definition })

  let user = parts.userCode
  let rewrite: Program['rewrite']
  if (parts.lastExpression) {
    const { from } = parts.lastExpression
    const before = user.slice(0, from)
    const lineStart = before.lastIndexOf('\n') + 1
    rewrite = { line: lineCount(before), column: from - lineStart + 1, shift: RESULT_PREFIX.length }
    user = `${before}${RESULT_PREFIX}${user.slice(from)}`
  }
  push(user, { kind: 'user' })

  const epilogue: string[] = []
  if (!parts.lastExpression) epilogue.push(`${RESULT_NAME} = None`)
  else {
    // A snippet ending in an un-awaited call of an async function resolves to its value, as a
    // notebook cell would show it.
    epilogue.push(
      `if ${TYPE}(${RESULT_NAME}).__name__ == 'coroutine':`,
      `    ${RESULT_NAME} = await ${RESULT_NAME}`,
    )
  }
  epilogue.push('__pf_out = []', '__pf_notes = []', '__pf_seen = {}')
  let index = 0
  const collectOne = (name: string) => {
    epilogue.push(
      'try:',
      `    __pf_out.append((${name}, ${TYPE}(${name}).__name__))`,
      'except NameError:',
      '    __pf_out.append(None)',
      ...(walks ? ['else:', `    __pf_walk(${name}, (${index},), __pf_notes, __pf_seen, __pf_set())`] : []),
    )
    index++
  }
  for (const name of parts.collect) collectOne(name)
  if (parts.collectAfterMarker.length > 0) {
    epilogue.push(`${END_MARKER}()`)
    for (const name of parts.collectAfterMarker) collectOne(name)
  }
  epilogue.push('__pf_rnotes = []')
  // A plain result (the common case) has nothing to note: the walk is not even called.
  if (parts.lastExpression && walks) {
    epilogue.push(
      `if ${TYPE}(${RESULT_NAME}) not in __pf_plain:`,
      `    __pf_walk(${RESULT_NAME}, (0,), __pf_rnotes, {}, __pf_set())`,
    )
  }
  epilogue.push(`(${RESULT_NAME}, ${TYPE}(${RESULT_NAME}).__name__, __pf_out, __pf_notes, __pf_rnotes)`)
  push(epilogue.join('\n'), { kind: 'engine' })
  return {
    source: chunks.join(''),
    segments,
    userCode: parts.userCode,
    scriptName: parts.scriptName,
    ...(rewrite ? { rewrite } : {}),
  }
}

/** A traceback frame of Monty, as it reports it. */
export interface MontyFrame {
  line: number
  column: number
  functionName?: string
}

/** Maps Monty's frames to frames in the user's snippet (and earlier snippets for session functions); engine frames are dropped. */
export function mapTraceback(program: Program, frames: readonly MontyFrame[]): PythonTracebackFrame[] {
  const userLines = program.userCode.split('\n')
  const mapped: PythonTracebackFrame[] = []
  for (const frame of frames) {
    const segment = program.segments.find((s) => frame.line >= s.start && frame.line < s.start + s.lines)
    if (!segment || segment.kind === 'engine') continue
    const offset = frame.line - segment.start
    const name = frame.functionName ?? '<module>'
    if (segment.kind === 'user') {
      const line = offset + 1
      let column = frame.column
      if (program.rewrite && line === program.rewrite.line && column > program.rewrite.column) {
        column = Math.max(program.rewrite.column, column - program.rewrite.shift)
      }
      const source = userLines[line - 1]
      mapped.push({
        filename: program.scriptName,
        line,
        column,
        name,
        ...(source === undefined ? {} : { source }),
      })
    } else {
      const source = segment.definition.source.split('\n')[offset]
      mapped.push({
        filename: segment.definition.scriptName,
        line: segment.definition.line + offset,
        column: frame.column,
        name,
        ...(source === undefined ? {} : { source }),
      })
    }
  }
  return mapped
}

/** How many built programs a backend keeps (least recently used ones are dropped). */
const PROGRAM_CACHE_SIZE = 256

/** A backend's built programs by plan key (`RunPlan.key`); emptied when its namespace is replaced. */
export class ProgramCache {
  readonly #programs = new Map<string, Program>()

  /** The program of `key`, built by `build` when not kept. */
  get(key: string, build: () => Program): Program {
    const kept = this.#programs.get(key)
    if (kept) {
      this.#programs.delete(key)
      this.#programs.set(key, kept)
      return kept
    }
    const program = build()
    this.#programs.set(key, program)
    if (this.#programs.size > PROGRAM_CACHE_SIZE) this.#programs.delete(this.#programs.keys().next().value!)
    return program
  }

  clear(): void {
    this.#programs.clear()
  }
}
