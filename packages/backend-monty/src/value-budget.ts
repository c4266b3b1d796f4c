/**
 * The budget of one value conversion across the boundary (a run's inputs, a result, the
 * arguments of one external call, one external return). Every value crossing is charged before
 * it is built: one node per value (a container, a number, a string…) and its bytes (a string's
 * length in UTF-16 code units, a byte string's length). Containers are refused on their reported
 * `length`/`size` before they are iterated, so an array or Proxy claiming 2**32-1 items costs
 * nothing. Shared references are walked once; a second reference is charged what the first
 * cost, because Monty copies a shared part once per reference: the work stays linear in the
 * distinct objects while the budget bounds what Python will hold.
 */
import { ValueConversionError } from '@pyflue/core'
import { forEachChild } from './python-values.js'

/** Default most nodes one conversion may hold. */
export const DEFAULT_MAX_VALUE_NODES = 1_000_000
/** Default most bytes (string code units and byte-string bytes) one conversion may hold. */
export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024 * 1024

/** The limits of one conversion. */
export interface ValueBudgetLimits {
  readonly maxNodes: number
  readonly maxBytes: number
}

/** A running count against `ValueBudgetLimits`; throws `ValueConversionError` past either. */
export class ValueBudget {
  nodes = 0
  bytes = 0

  constructor(readonly limits: ValueBudgetLimits) {}

  /** Charges `nodes` and `bytes` at `path`. */
  charge(nodes: number, bytes: number, path: string): void {
    this.nodes += nodes
    this.bytes += bytes
    if (this.nodes > this.limits.maxNodes) {
      throw new ValueConversionError({
        path,
        found: 'too-many-nodes',
        message: `The value holds more than ${this.limits.maxNodes} values (maxValueNodes; a shared part counts once per reference, as Python copies it)`,
      })
    }
    if (this.bytes > this.limits.maxBytes) {
      throw new ValueConversionError({
        path,
        found: 'too-many-bytes',
        message: `The value holds more than ${this.limits.maxBytes} bytes of strings and bytes (maxValueBytes)`,
      })
    }
  }

  /** Refuses a container reporting `count` items before any of them is read. */
  reserve(count: unknown, path: string): number {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new ValueConversionError({
        path,
        found: 'bad-length',
        message: `The value reports a length of ${String(count)}, which is not a count of items`,
      })
    }
    if (this.nodes + count > this.limits.maxNodes) this.charge(count, 0, path)
    return count
  }
}

/** Checks the `maxValueNodes` / `maxValueBytes` options. */
export function valueBudgetLimits(
  maxNodes: unknown,
  maxBytes: unknown,
  fail: (argument: string, message: string) => never,
): ValueBudgetLimits {
  const check = (value: unknown, name: string, fallback: number) => {
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      fail(name, `${name} must be a positive integer; got ${String(value)}.`)
    }
    return value as number
  }
  return {
    maxNodes: check(maxNodes, 'maxValueNodes', DEFAULT_MAX_VALUE_NODES),
    maxBytes: check(maxBytes, 'maxValueBytes', DEFAULT_MAX_VALUE_BYTES),
  }
}

/** Charges a Monty-form value (as Monty handed it out: a tree) to `budget`. */
export function chargeValue(value: unknown, budget: ValueBudget, path: string): void {
  const visit = (item: unknown): void => {
    budget.charge(
      1,
      typeof item === 'string' ? item.length : item instanceof Uint8Array ? item.byteLength : 0,
      path,
    )
    forEachChild(item, visit)
  }
  visit(value)
}
