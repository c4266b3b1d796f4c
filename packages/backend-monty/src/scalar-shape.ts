/**
 * Which of a run's values are plain scalars (`int`, `float`, `str`, `bytes`, `bool`, `None`)
 * before it runs, so a program that hands back only such values can leave out the walker
 * (`value-notes.ts`): Monty parses the walker anew for every new program, which is most of the
 * cost of a snippet it has not seen (~0.2–0.6 ms). A top-level scalar needs no walk: its type
 * name, handed back beside it, says all (an integral float is told from an int by it).
 *
 * The snippet's analysis records a *shape* for each module-level binding of a name: the
 * expression is a scalar when every name in `names` holds a scalar and every call in `calls` is
 * the builtin of that name (`len(x)` is an `int` whatever `x` is; `x + 1` is a scalar when `x`
 * is). A binding of another form (a container, a call of anything else, a subscript, a tuple
 * target, a loop over anything but `range`, a `global` in a function…) has no shape (`null`).
 * `provenScalars` then finds, from the session, the names every binding of which is a scalar:
 * the largest set closed under the shapes, so a value bound to such a name is one by induction
 * over the run's steps. Anything unsure is left to the walker.
 */
import type { SyntaxNode } from '@lezer/common'

/** An expression is a scalar when each of `names` holds one and each of `calls` is the builtin. */
export interface ScalarShape {
  readonly names: readonly string[]
  readonly calls: readonly string[]
}

/** Builtins whose result is a scalar whatever their arguments (or they raise). */
const SCALAR_CALLS = new Set([
  'len',
  'str',
  'int',
  'float',
  'bool',
  'abs',
  'round',
  'repr',
  'ord',
  'chr',
  'hash',
  'print',
  'isinstance',
  'id',
  'bin',
  'hex',
  'oct',
])

const ALWAYS: ScalarShape = { names: [], calls: [] }

const merge = (a: ScalarShape | null, b: ScalarShape | null): ScalarShape | null =>
  a && b ? { names: [...a.names, ...b.names], calls: [...a.calls, ...b.calls] } : null

/** The shape of the expression `node`, or null when its value may not be a scalar. */
export function scalarShapeOf(
  node: SyntaxNode | null | undefined,
  text: (n: SyntaxNode) => string,
): ScalarShape | null {
  if (!node) return null
  switch (node.name) {
    case 'Number':
      // A complex literal (`1j`) is not one of the plain scalars.
      return /[jJ]$/.test(text(node)) ? null : ALWAYS
    case 'String':
    case 'FormatString':
    case 'Boolean':
    case 'None':
      return ALWAYS
    case 'VariableName':
      return { names: [text(node)], calls: [] }
    case 'ParenthesizedExpression': {
      const inner = node.firstChild?.nextSibling
      return inner && inner.nextSibling?.name === ')' ? scalarShapeOf(inner, text) : null
    }
    case 'UnaryExpression': {
      const [op, operand] = [node.firstChild, node.lastChild]
      if (op?.name === 'not') return ALWAYS
      return scalarShapeOf(operand, text)
    }
    case 'BinaryExpression': {
      const left = node.firstChild
      const op = left?.nextSibling
      const right = node.lastChild
      if (!left || !op || !right || right.from === op.from) return null
      // Comparisons, `in` and `is` give a bool whatever they compare.
      if (op.name === 'CompareOp' || op.name === 'in' || op.name === 'is' || op.name === 'not') return ALWAYS
      if (
        op.name === 'and' ||
        op.name === 'or' ||
        op.name === 'BitOp' ||
        (op.name === 'ArithOp' && text(op) !== '@')
      )
        return merge(scalarShapeOf(left, text), scalarShapeOf(right, text))
      return null
    }
    case 'ConditionalExpression': {
      const parts: SyntaxNode[] = []
      for (let child = node.firstChild; child; child = child.nextSibling)
        if (child.name !== 'if' && child.name !== 'else') parts.push(child)
      if (parts.length !== 3) return null
      return merge(scalarShapeOf(parts[0], text), scalarShapeOf(parts[2], text))
    }
    case 'CallExpression': {
      const callee = node.firstChild
      if (callee?.name !== 'VariableName' || !SCALAR_CALLS.has(text(callee))) return null
      return { names: [], calls: [text(callee)] }
    }
    default:
      return null
  }
}

/** The shape of `target op= value` (`x += 1`): a scalar when `x` and `value` are. */
export function updateShapeOf(
  target: string,
  op: string,
  value: SyntaxNode | null | undefined,
  text: (n: SyntaxNode) => string,
): ScalarShape | null {
  return op === '@=' ? null : merge({ names: [target], calls: [] }, scalarShapeOf(value, text))
}

/** The shape of a loop's target: an `int` when the loop is over a call of `range`. */
export function loopShapeOf(
  iterable: SyntaxNode | null | undefined,
  text: (n: SyntaxNode) => string,
): ScalarShape | null {
  const callee = iterable?.name === 'CallExpression' ? iterable.firstChild : null
  return callee?.name === 'VariableName' && text(callee) === 'range' ? { names: [], calls: ['range'] } : null
}

/** What `provenScalars` needs to know about names the snippet does not bind. */
export interface ScalarContext {
  /** Whether the value a name holds before the snippet binds it (if it does) is a scalar or absent. */
  readonly before: (name: string) => boolean
  /** Whether a call of this name calls the builtin. */
  readonly builtinCall: (name: string) => boolean
}

/**
 * The names whose every binding in the snippet is a scalar (`scalars`: from the analysis, one
 * entry per module-level name, null when some binding has no shape): the largest set in which
 * each name's shapes read only names of the set or names holding a scalar from before, and call
 * only builtins.
 */
export function provenScalars(
  scalars: ReadonlyMap<string, readonly ScalarShape[] | null>,
  context: ScalarContext,
): Set<string> {
  const proven = new Set<string>()
  for (const [name, shapes] of scalars) if (shapes && context.before(name)) proven.add(name)
  for (let changed = true; changed; ) {
    changed = false
    for (const name of proven) {
      if (!scalars.get(name)!.every((shape) => shapeHolds(shape, scalars, proven, context))) {
        proven.delete(name)
        changed = true
      }
    }
  }
  return proven
}

/** Whether `shape` is a scalar given the proven names. */
export function shapeHolds(
  shape: ScalarShape | null | undefined,
  scalars: ReadonlyMap<string, unknown>,
  proven: ReadonlySet<string>,
  context: ScalarContext,
): boolean {
  if (!shape) return false
  return (
    shape.names.every((name) => (scalars.has(name) ? proven.has(name) : context.before(name))) &&
    shape.calls.every(context.builtinCall)
  )
}
