/**
 * Python values whose plain Monty form would lose what they are, as the session namespace
 * keeps them between runs. Monty hands an integral float out as a plain JS number (`2.0` → `2`,
 * the same as the int `2`) and takes a JS integer back in as an `int`; a `frozenset` comes out as
 * a `Set`; a `range` only as its repr. These classes are engine-private: nothing Monty returns
 * and nothing a caller passes is an instance of them, so they cannot be forged by data, and
 * `session-values.ts` turns them back into the Python values in the next run.
 */

/** A Python float with an integral value (`2.0`, `-0.0`, `1e300`); other floats stay plain numbers. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A Python `frozenset`; `items` holds its members in Monty form. */
export class PyFrozenSet {
  constructor(readonly items: Set<unknown>) {}
}

/** A Python `range`. */
export class PyRange {
  constructor(
    readonly start: number | bigint,
    readonly stop: number | bigint,
    readonly step: number | bigint,
  ) {}
}

/** Reads `range(a, b)` / `range(a, b, c)`, the repr of a value Python said is a range. */
export function rangeFromRepr(repr: string): PyRange | undefined {
  const match = /^range\((-?\d+), (-?\d+)(?:, (-?\d+))?\)$/.exec(repr)
  if (!match) return undefined
  const int = (text: string) => {
    const big = BigInt(text)
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big
  }
  return new PyRange(int(match[1]!), int(match[2]!), int(match[3] ?? '1'))
}

/** Reads `<module 'math'>`, the repr of a value Python said is a module. */
export function moduleNameFromRepr(repr: string): string | undefined {
  return /^<module '([A-Za-z_][\w.]*)'>$/.exec(repr)?.[1]
}

/** Calls `visit` with each direct part of a value in Monty or session form: items, keys and values, members. */
export function forEachChild(value: unknown, visit: (child: unknown) => void): void {
  if (Array.isArray(value)) for (const item of value) visit(item)
  else if (value instanceof Map)
    for (const [key, entry] of value) {
      visit(key)
      visit(entry)
    }
  else if (value instanceof Set) for (const member of value) visit(member)
  else if (value instanceof PyFrozenSet) for (const member of value.items) visit(member)
}
