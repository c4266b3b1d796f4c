/**
 * Session values that plain Monty inputs would change, handed to a run exactly. A JS integer
 * becomes a Python `int` and a `Set` a `set`, and Monty converts every path of an input on its
 * own, so an integral float (`PyFloat`), `-0.0`, a `frozenset`, a `range` and an object shared by
 * two names (or held twice in one value) would not arrive as they were. Such values (the
 * *special* ones, found by `specialNames`) travel together in one input: `encodeSessionValues`
 * replaces what Monty would change by placeholders and describes it in a tree of nodes, and the
 * program's prologue (`DECODER_SOURCE`, in Python) rebuilds each value from the nodes before any
 * user code runs, linking every shared object to one Python object again.
 *
 * A node is `[op, argument, kids, id]`: `op` is `'d'` (descend into `kids`), `'f'` (the
 * placeholder number is a float), `'z'` (`-0.0`), `'range'` (argument `[start, stop, step]`),
 * `'set'` / `'frozenset'` (the placeholder is a list of members), `'dict'` (the placeholder is a
 * list of `[key, value]` pairs, used when a key needs rebuilding) or `'ref'` (the object with id
 * `argument`, rebuilt earlier); `kids` are `[step, node]` pairs in ascending step order (steps as
 * in `value-notes.ts`); `id`, when not null, names the rebuilt object for later `'ref'`s. Values
 * are encoded and decoded in the same order, so a reference always follows its object.
 */
import { forEachChild, PyFloat, PyFrozenSet, PyRange } from './python-values.js'
import { type SliceOptions, Slicer } from './slices.js'

type DecodeNode = [op: string, argument: unknown, kids: [number, DecodeNode][] | null, id: number | null]

/** The Monty inputs that carry the special session values, and the variable the prologue decodes them into. */
export const SESSION_VALUES_INPUT = '__pf_session_values'
export const SESSION_NODES_INPUT = '__pf_session_nodes'
const DECODED = '__pf_sv'

/** Python: rebuilds values from `encodeSessionValues`. Uses only the engine's own builtin bindings. */
export const DECODER_SOURCE = `def __pf_fix(v, node, memo):
    op, arg, kids, mid = node
    if op == 'ref':
        return memo[arg]
    if op == 'f':
        return __pf_float(v)
    if op == 'z':
        return -0.0
    if op == 'range':
        return __pf_range(arg[0], arg[1], arg[2])
    if op == 'dict':
        for step, kid in kids:
            pair = v[step // 2]
            pair[step % 2] = __pf_fix(pair[step % 2], kid, memo)
        out = {}
        for pair in v:
            out[pair[0]] = pair[1]
        v = out
    elif kids:
        t = __pf_type(v)
        if t is __pf_tuple:
            items = __pf_list(v)
            for step, kid in kids:
                items[step] = __pf_fix(items[step], kid, memo)
            v = __pf_tuple(items)
        elif t is __pf_dict:
            keys = __pf_list(v)
            for step, kid in kids:
                key = keys[step // 2]
                v[key] = __pf_fix(v[key], kid, memo)
        else:
            for step, kid in kids:
                v[step] = __pf_fix(v[step], kid, memo)
    if op == 'set':
        v = __pf_set(v)
    elif op == 'frozenset':
        v = __pf_frozenset(v)
    if mid is not None:
        memo[mid] = v
    return v
def __pf_decode(values, nodes):
    memo = {}
    out = []
    i = 0
    for v in values:
        node = nodes[i]
        out.append(v if node is None else __pf_fix(v, node, memo))
        i += 1
    return out
`

/** The prologue lines that bind each special name to its rebuilt value. */
export function sessionValueBindings(names: readonly string[]): string {
  if (names.length === 0) return ''
  return [
    `${DECODED} = __pf_decode(${SESSION_VALUES_INPUT}, ${SESSION_NODES_INPUT})`,
    ...names.map((name, i) => `${name} = ${DECODED}[${i}]`),
  ].join('\n')
}

/** A mutable container: the objects whose identity Python code can observe through mutation. */
function isMutableContainer(value: unknown): value is unknown[] | Map<unknown, unknown> | Set<unknown> {
  return (
    (Array.isArray(value) && (value as { __tuple__?: unknown }).__tuple__ !== true) ||
    value instanceof Map ||
    value instanceof Set
  )
}

/** Encodes `values` (in session form) as Monty inputs plus the nodes that rebuild them. */
export function encodeSessionValues(values: readonly unknown[]): { values: unknown[]; nodes: unknown[] } {
  const counts = new Map<object, number>()
  const count = (value: unknown): void => {
    if (isMutableContainer(value)) {
      const seen = counts.get(value)
      counts.set(value, (seen ?? 0) + 1)
      if (seen) return
    }
    forEachChild(value, count)
  }
  for (const value of values) count(value)
  const ids = new Map<object, number>()
  let nextId = 0
  const leaf = (op: string, argument: unknown = null): DecodeNode => [op, argument, null, null]
  const encode = (value: unknown): [unknown, DecodeNode | null] => {
    if (typeof value === 'number') return Object.is(value, -0) ? [0, leaf('z')] : [value, null]
    if (value instanceof PyFloat) {
      if (Object.is(value.value, -0)) return [0, leaf('z')]
      // Monty takes an integral number that fits an i64 as an int, a larger one as a float.
      return [value.value, leaf('f')]
    }
    if (value instanceof PyRange) return [null, leaf('range', [value.start, value.stop, value.step])]
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return [value, null]
    let id: number | null = null
    if (isMutableContainer(value)) {
      const known = ids.get(value)
      if (known !== undefined) return [null, leaf('ref', known)]
      if ((counts.get(value) ?? 0) > 1) {
        id = nextId++
        ids.set(value, id)
      }
    }
    const kids: [number, DecodeNode][] = []
    const node = (op: string): DecodeNode | null =>
      op !== 'd' || kids.length > 0 || id !== null ? [op, null, kids, id] : null
    if (Array.isArray(value)) {
      const out = new Array(value.length)
      for (let i = 0; i < value.length; i++) {
        const [item, kid] = encode(value[i])
        out[i] = item
        if (kid) kids.push([i, kid])
      }
      if ((value as { __tuple__?: unknown }).__tuple__ === true) {
        Object.defineProperty(out, '__tuple__', { value: true, enumerable: true })
      }
      return [out, node('d')]
    }
    if (value instanceof Set || value instanceof PyFrozenSet) {
      const members: unknown[] = []
      let i = 0
      for (const member of value instanceof PyFrozenSet ? value.items : value) {
        const [item, kid] = encode(member)
        members.push(item)
        if (kid) kids.push([i, kid])
        i++
      }
      if (value instanceof PyFrozenSet) return [members, node('frozenset')]
      return kids.length > 0 ? [members, node('set')] : [new Set(members), node('d')]
    }
    if (value instanceof Map) {
      const pairs: [unknown, unknown][] = []
      let keyChanged = false
      let i = 0
      for (const [key, entry] of value) {
        const [k, keyKid] = encode(key)
        const [v, valueKid] = encode(entry)
        pairs.push([k, v])
        if (keyKid) {
          kids.push([2 * i, keyKid])
          keyChanged = true
        }
        if (valueKid) kids.push([2 * i + 1, valueKid])
        i++
      }
      return keyChanged ? [pairs, node('dict')] : [new Map(pairs), node('d')]
    }
    return [value, null] // tagged data (dates, dataclasses) crosses as it is
  }
  const outValues: unknown[] = []
  const nodes: unknown[] = []
  for (const value of values) {
    const [encoded, node] = encode(value)
    outValues.push(encoded)
    nodes.push(node)
  }
  return { values: outValues, nodes }
}

/** Values `SpecialNames` visits between two chances to yield. */
const VALUES_PER_STEP = 2048

/**
 * Which of `entries` need `encodeSessionValues`, each with the names it must travel with: a
 * value holding a `PyFloat`, `-0`, `PyFrozenSet`, `PyRange` or an object reached twice, and every
 * name sharing an object with another (with all the names it shares with, transitively). Walks
 * with an explicit stack, `step` by `step`, so a big namespace can be walked in slices.
 */
class SpecialNames {
  readonly #entries: Iterator<readonly [string, unknown]>
  /** The first name each mutable container was reached from. */
  readonly #owner = new Map<object, string>()
  /** Union-find over names sharing objects. */
  readonly #parent = new Map<string, string>()
  readonly #special = new Set<string>()
  /** The name being walked and the values of it still to visit. */
  #name = ''
  readonly #pending: unknown[] = []

  constructor(entries: Iterable<readonly [string, unknown]>) {
    this.#entries = entries[Symbol.iterator]()
  }

  #find(name: string): string {
    let root = name
    while (this.#parent.get(root) !== root) root = this.#parent.get(root)!
    this.#parent.set(name, root)
    return root
  }

  #visit(item: unknown): void {
    const name = this.#name
    if (
      item instanceof PyFloat ||
      item instanceof PyRange ||
      (typeof item === 'number' && Object.is(item, -0))
    ) {
      this.#special.add(name)
      return
    }
    if (item instanceof PyFrozenSet) this.#special.add(name)
    if (isMutableContainer(item)) {
      const seen = this.#owner.get(item)
      if (seen !== undefined) {
        this.#special.add(name)
        this.#special.add(seen)
        this.#parent.set(this.#find(seen), this.#find(name))
        return
      }
      this.#owner.set(item, name)
    }
    forEachChild(item, (child) => {
      // Scalars other than -0 need no visit; containers and the special forms wait their turn.
      if (typeof child === 'object' ? child !== null : typeof child === 'number' && Object.is(child, -0)) {
        this.#pending.push(child)
      }
    })
  }

  /** Visits about `budget` more values; returns whether the walk is complete. */
  step(budget: number): boolean {
    for (let left = budget; left > 0; left--) {
      if (this.#pending.length > 0) {
        this.#visit(this.#pending.pop())
        continue
      }
      const next = this.#entries.next()
      if (next.done) return true
      const [name, value] = next.value
      this.#name = name
      this.#parent.set(name, name)
      this.#visit(value)
    }
    return false
  }

  /** The special names, each with its group (itself included); after `step` returned true. */
  result(): Map<string, readonly string[]> {
    const groups = new Map<string, string[]>()
    for (const name of this.#special) {
      const root = this.#find(name)
      const group = groups.get(root) ?? []
      groups.set(root, group)
      group.push(name)
    }
    const out = new Map<string, readonly string[]>()
    for (const name of this.#special) out.set(name, groups.get(this.#find(name))!)
    return out
  }
}

/** The special names of `entries` (see `SpecialNames`), all at once. */
export function specialNames(entries: Iterable<readonly [string, unknown]>): Map<string, readonly string[]> {
  const walk = new SpecialNames(entries)
  walk.step(Number.POSITIVE_INFINITY)
  return walk.result()
}

/** The special names of `entries`, walked in slices that leave the event loop free (`slices.ts`). */
export async function specialNamesInSlices(
  entries: Iterable<readonly [string, unknown]>,
  options?: SliceOptions,
): Promise<Map<string, readonly string[]>> {
  const walk = new SpecialNames(entries)
  await new Slicer(options).run(() => walk.step(VALUES_PER_STEP))
  return walk.result()
}
