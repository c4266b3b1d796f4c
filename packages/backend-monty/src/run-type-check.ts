/**
 * A run's `typeCheck`: `typeCheckRun` checks the snippet (`type-check.ts`, in a pool process unless
 * in-thread) after `typeCheckPrefix`, the stubs of what it can see: a typed declaration of each
 * session value and input it reads, a constructor of each registered dataclass it names, the
 * stored definitions it re-uses in the order they were made, and a stub of each external
 * function. Diagnostics name the snippet's own lines; any is a `PythonTypingError`.
 */
import { PythonTypingError, type ResourceLimits } from '@pyflue/core'
import type { DataclassRegistry } from './dataclass-registry.js'
import { type PreparedExternal, typeStub } from './external-functions.js'
import type { MontyPool } from './monty-pool.js'
import { montyLimitsOf, type RunClock } from './run-limits.js'
import type { StoredDefinition } from './session-state.js'
import type { SnippetAnalysis } from './snippet-analysis.js'
import { typeCheckDiagnostics } from './type-check.js'
import { stubTypeOf } from './value-description.js'

/** What the stubs are made from, and the snippet. */
export interface TypeCheckScope {
  readonly code: string
  readonly scriptName: string
  readonly analysis: SnippetAnalysis
  readonly runInputs: ReadonlyMap<string, unknown>
  readonly externals: ReadonlyMap<string, PreparedExternal>
  readonly emitted: ReadonlyMap<string, StoredDefinition>
  readonly data: ReadonlyMap<string, unknown>
  readonly dataclasses: DataclassRegistry
}

/** The Python source of the stubs, one statement per line group. */
export function typeCheckPrefix(scope: TypeCheckScope): string {
  const { analysis, runInputs, externals, emitted, data, dataclasses } = scope
  const lines = ['from typing import Any, Literal, cast']
  const names = new Set(analysis.reads)
  for (const definition of emitted.values()) for (const read of definition.reads) names.add(read)
  const stub = (name: string, value: unknown) => {
    const type = stubTypeOf(value)
    lines.push(`${name}: ${type} = cast(${JSON.stringify(type)}, None)`)
  }
  for (const name of names) {
    if (externals.has(name) || emitted.has(name)) continue
    if (runInputs.has(name)) stub(name, runInputs.get(name))
    else if (data.has(name)) stub(name, data.get(name))
  }
  for (const dataclass of dataclasses.all()) {
    if (analysis.reads.has(dataclass.name) && !runInputs.has(dataclass.name)) {
      lines.push(`def ${dataclass.name}(*args: Any, **kwargs: Any) -> Any:\n    raise NotImplementedError`)
    }
  }
  for (const definition of [...emitted.values()].sort((a, b) => a.seq - b.seq)) {
    lines.push(definition.source.replace(/\n$/, ''))
  }
  for (const external of externals.values()) lines.push(typeStub(external).replace(/\n$/, ''))
  return lines.join('\n')
}

/** Type-checks the snippet; rejects with `PythonTypingError` when the checker reports anything. */
export async function typeCheckRun(
  scope: TypeCheckScope,
  pool: MontyPool | undefined,
  limits: ResourceLimits,
  clock: RunClock,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { code, scriptName } = scope
  const prefix = typeCheckPrefix(scope)
  const offset = prefix.split('\n').length
  const raw = pool
    ? (
        await pool.task(
          { type: 'typecheck', code, prefix },
          'typechecked',
          montyLimitsOf(limits),
          clock,
          signal,
        )
      ).diagnostics
    : typeCheckDiagnostics(code, prefix)
  if (raw === undefined) return
  const diagnostics = raw
    .replace(
      /snippet\.py:(\d+):(\d+)/g,
      (_, line: string, column: string) => `${scriptName}:${Number(line) - offset}:${column}`,
    )
    .trim()
  throw new PythonTypingError(diagnostics)
}
