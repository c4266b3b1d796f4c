/**
 * What Python says about the values a run hands back, so the engine recognises each by what it
 * is and never by what it looks like. Monty's conversion to JS loses facts: an integral float
 * arrives as a plain integer, a frozenset as a `Set`, a function, module, range or iterator as its
 * repr *string* (indistinguishable from a `str` holding the same text), a shared object as one
 * copy per path, a cycle as the string `'[...]'`. The program's epilogue therefore walks every
 * value it hands back with `__pf_walk` (Python, below) and returns *notes*: at which path sits a
 * float (`'z'`: `-0.0`, which a JS `Set` or `Map` key turns into `0`), a frozenset, a range, a module, a reference to an object seen earlier, a cycle, or a
 * value of another type (and, for a builtin, a module's function or type or a compiled regex
 * bound to a name of its own, `'named'`: how to bind it again, `value-aliases.ts`).
 * `readCollected` applies them to Monty's output and builds the session
 * form (`python-values.ts`, shared objects shared again), or says why a name cannot be kept.
 *
 * A path is a tuple of steps from the list of collected values: an index in a list, tuple, set
 * or frozenset (in iteration order, which Monty keeps), and `2 * i` (key) or `2 * i + 1` (value)
 * for the i-th entry of a dict. The walk costs one native `set(map(type, …))` per container and a
 * Python step only for the members that are not plain scalars.
 */

import { MAX_WALK_DEPTH, notKeptReason } from './not-kept-reasons.js'
import { moduleNameFromRepr, PyFloat, PyFrozenSet, rangeFromRepr } from './python-values.js'
import { aliasOf } from './value-aliases.js'

/**
 * The walker (`__pf_walk`), after `BUILTIN_BINDINGS_SOURCE` (`engine-python.ts`): only programs that hand a value back
 * (a collected name, a last expression) or check arguments need it, and Monty parses it anew for
 * every new program (~180 µs), so the others leave it out.
 */
export const WALKER_SOURCE = `if False:
    __pf_walk_items = None
__pf_named = None
def __pf_walk(v, path, notes, seen, stack):
    t = __pf_type(v)
    if t in __pf_plain:
        return
    if t is __pf_float:
        if v - v == 0 and v % 1.0 == 0:
            notes.append((path, 'z' if v == 0 and __pf_repr(v) == '-0.0' else 'f', None))
        return
    if t is __pf_list or t is __pf_tuple or t is __pf_dict or t is __pf_set or t is __pf_frozenset:
        i = __pf_id(v)
        if i in stack:
            notes.append((path, 'cycle', None))
            return
        if i in seen:
            notes.append((path, 'ref', seen[i]))
            return
        if __pf_len(path) > ${MAX_WALK_DEPTH}:
            notes.append((path, 'deep', None))
            return
        seen[i] = path
        if t is __pf_frozenset:
            notes.append((path, 'frozenset', None))
        stack.add(i)
        if t is __pf_dict:
            __pf_walk_items(v.keys(), path, 0, notes, seen, stack)
            __pf_walk_items(v.values(), path, 1, notes, seen, stack)
        else:
            __pf_walk_items(v, path, -2 if t is __pf_set or t is __pf_frozenset else -1, notes, seen, stack)
        stack.discard(i)
        return
    name = t.__name__
    if t is __pf_range or name == 'module':
        notes.append((path, name, __pf_repr(v)))
        return
    notes.append((path, 'other', name))
    if __pf_len(path) == 1 and (name == 'builtin_function_or_method' or name == 'type' or name == 're.Pattern'):
        notes.append((path, 'named', (__pf_repr(v.pattern), v.flags) if name == 're.Pattern' else (__pf_repr(v), __pf_named(v) if __pf_named else ())))
def __pf_walk_items(items, path, key, notes, seen, stack):
    # issubset, not <=: Monty 0.0.18's set <= set is not the subset test.
    kinds = __pf_set(__pf_map(__pf_type, items))
    if kinds.issubset(__pf_plain):
        return
    if __pf_float in kinds and __pf_int not in kinds and kinds.issubset(__pf_plain_float):
        notes.append((path, 'floats', key))
        if (key == 0 or key == -2) and 0 in items:
            # A JS Set or Map key holds -0 as 0: the one zero of a set or of dict keys is told apart.
            n = 0
            for e in items:
                if e == 0 and __pf_type(e) is __pf_float and __pf_repr(e) == '-0.0':
                    notes.append((path + ((n if key < 0 else 2 * n),), 'z', None))
                n += 1
        return
    n = 0
    for e in items:
        te = __pf_type(e)
        if te not in __pf_plain:
            step = n if key < 0 else 2 * n + key
            # Inline for the common list of small rows of scalars: a call costs more than the row.
            if (te is __pf_list or te is __pf_tuple) and __pf_set(__pf_map(__pf_type, e)).issubset(__pf_plain) or (
                te is __pf_dict
                and __pf_set(__pf_map(__pf_type, e)).issubset(__pf_plain)
                and __pf_set(__pf_map(__pf_type, e.values())).issubset(__pf_plain)
            ):
                i = __pf_id(e)
                if i in seen:
                    notes.append((path + (step,), 'ref', seen[i]))
                else:
                    seen[i] = path + (step,)
            else:
                __pf_walk(e, path + (step,), notes, seen, stack)
        n += 1
`

/** One note of `__pf_walk`: a path (a tuple of steps), a kind, and the kind's argument. */
export type WalkNote = readonly [path: readonly number[], kind: string, argument: unknown]

/** Tagged objects Monty produces that are data. */
const DATA_TAGS = new Set(['Date', 'DateTime', 'TimeDelta', 'Time', 'TimeZone', 'Exception', 'Dataclass'])

/**
 * What one collected name becomes: a value in session form, a module alias, an alias of a
 * builtin, a module's function or type, or a compiled regex (`expression`, after `imports`, binds
 * the same object again in a later run), or not kept.
 */
export type CollectedOutcome =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'module'; readonly module: string }
  | {
      readonly kind: 'alias'
      readonly type: string
      readonly imports: readonly string[]
      readonly expression: string
    }
  | { readonly kind: 'not-kept'; readonly type: string; readonly reason: string }

const isPrefix = (prefix: readonly number[], path: readonly number[]) =>
  prefix.length <= path.length && prefix.every((step, i) => path[i] === step)

/**
 * Applies `notes` to Monty's output `values` (one per collected name, `undefined` for a name the
 * run left unbound) and says what each becomes. `values` is changed in place.
 */
export function readCollected(
  values: unknown[],
  typeNames: readonly string[],
  notes: readonly WalkNote[],
): CollectedOutcome[] {
  const problems: { path: readonly number[]; type: string }[] = []
  const modules = new Map<number, string>()
  const named = new Map<number, unknown>()
  const edits: WalkNote[] = []
  const frozen: WalkNote[] = []
  const refs: WalkNote[] = []
  const nav = new Navigator(values)
  for (const note of notes) {
    const [path, kind, argument] = note
    switch (kind) {
      case 'f':
      case 'z':
      case 'floats':
      case 'range':
        edits.push(note)
        break
      case 'frozenset':
        frozen.push(note)
        break
      case 'ref':
        refs.push(note)
        break
      case 'named':
        named.set(path[0]!, argument)
        break
      case 'module': {
        const module = moduleNameFromRepr(String(argument))
        if (path.length === 1 && module) modules.set(path[0]!, module)
        else problems.push({ path, type: 'module' })
        break
      }
      case 'other': {
        // Monty hands out data of other types as tagged objects; what is not data comes out as a
        // string (its repr) or a tag that is not data.
        const node = nav.get(path)
        const tag =
          typeof node === 'object' && node !== null
            ? (node as { __monty_type__?: unknown }).__monty_type__
            : undefined
        if (!(typeof tag === 'string' && DATA_TAGS.has(tag))) problems.push({ path, type: String(argument) })
        break
      }
      default:
        problems.push({ path, type: kind })
    }
  }
  // A builtin, a module's function or type, or a regex bound to a name of its own is an alias.
  const aliases = new Map<number, { type: string; imports: string[]; expression: string }>()
  for (const [index, argument] of named) {
    const type = typeNames[index] ?? ''
    const alias = aliasOf(argument, type)
    const at = problems.findIndex((p) => p.path.length === 1 && p.path[0] === index)
    if (alias && at >= 0 && problems.every((p, i) => i === at || p.path[0] !== index)) {
      problems.splice(at, 1)
      aliases.set(index, { type, ...alias })
    }
  }
  // A reference into a part that holds a problem carries the problem to its own name.
  const tainted = new Set<WalkNote>()
  for (let changed = true; changed; ) {
    changed = false
    for (const ref of refs) {
      if (tainted.has(ref)) continue
      const target = ref[2] as readonly number[]
      const problem = problems.find((p) => isPrefix(target, p.path))
      if (problem) {
        tainted.add(ref)
        problems.push({ path: ref[0], type: problem.type })
        changed = true
      }
    }
  }
  const problemOf = new Map<number, { path: readonly number[]; type: string }>()
  for (const problem of problems)
    if (!problemOf.has(problem.path[0]!)) problemOf.set(problem.path[0]!, problem)
  const kept = (path: readonly number[]) =>
    !problemOf.has(path[0]!) && !modules.has(path[0]!) && !aliases.has(path[0]!)
  for (const [path, kind, argument] of edits) {
    if (!kept(path)) continue
    if (kind === 'f') {
      nav.set(path, new PyFloat(nav.get(path) as number))
    } else if (kind === 'z') {
      nav.set(path, new PyFloat(-0))
    } else if (kind === 'range') {
      const range = rangeFromRepr(String(argument))
      if (range) nav.set(path, range)
    } else nav.floats(path, argument as number)
  }
  // A top-level float the walk did not note (a program without the walker hands back scalars
  // with their type names only): its type name tells an integral one from an int.
  values.forEach((value, k) => {
    if (
      typeNames[k] === 'float' &&
      typeof value === 'number' &&
      (Number.isInteger(value) || Object.is(value, -0))
    )
      values[k] = new PyFloat(value)
  })
  for (const [path] of frozen) if (kept(path)) nav.set(path, new PyFrozenSet(nav.get(path) as Set<unknown>))
  for (const [path, , target] of refs) if (kept(path)) nav.set(path, nav.get(target as readonly number[]))
  nav.flush()
  return values.map((value, k): CollectedOutcome => {
    const problem = problemOf.get(k)
    if (problem) {
      return {
        kind: 'not-kept',
        type: typeNames[k] ?? problem.type,
        reason: notKeptReason(problem.type, problem.path.length > 1),
      }
    }
    const module = modules.get(k)
    if (module) return { kind: 'module', module }
    const alias = aliases.get(k)
    if (alias) return { kind: 'alias', ...alias }
    return { kind: 'value', value }
  })
}

/** Walks and edits a Monty-form value by path; dict entries and set members are edited in copies, written back by `flush`. */
class Navigator {
  readonly #entries = new Map<Map<unknown, unknown>, [unknown, unknown][]>()
  readonly #members = new Map<Set<unknown>, unknown[]>()
  constructor(readonly root: unknown[]) {}

  #entriesOf(map: Map<unknown, unknown>): [unknown, unknown][] {
    const entries = this.#entries.get(map) ?? [...map]
    this.#entries.set(map, entries)
    return entries
  }
  #membersOf(set: Set<unknown>): unknown[] {
    const members = this.#members.get(set) ?? [...set]
    this.#members.set(set, members)
    return members
  }
  child(node: unknown, step: number): unknown {
    if (node instanceof PyFrozenSet) return this.child(node.items, step)
    if (Array.isArray(node)) return node[step]
    if (node instanceof Map) return this.#entriesOf(node)[step >> 1]?.[step & 1]
    if (node instanceof Set) return this.#membersOf(node)[step]
    return undefined
  }
  setChild(node: unknown, step: number, value: unknown): void {
    if (node instanceof PyFrozenSet) this.setChild(node.items, step, value)
    else if (Array.isArray(node)) node[step] = value
    else if (node instanceof Map) {
      const entry = this.#entriesOf(node)[step >> 1]
      if (entry) entry[step & 1] = value
    } else if (node instanceof Set) {
      const members = this.#membersOf(node)
      if (step < members.length) members[step] = value
    }
  }
  get(path: readonly number[]): unknown {
    let node: unknown = this.root
    for (const step of path) node = this.child(node, step)
    return node
  }
  set(path: readonly number[], value: unknown): void {
    this.setChild(this.get(path.slice(0, -1)), path.at(-1)!, value)
  }
  /** Every integral number directly in the container at `path` (its keys: 0, values: 1, members: -1 or -2) is a float. */
  floats(path: readonly number[], key: number): void {
    let node = this.get(path)
    if (node instanceof PyFrozenSet) node = node.items
    const float = (item: unknown) =>
      typeof item === 'number' && Number.isInteger(item) ? new PyFloat(item) : item
    if (Array.isArray(node)) for (let i = 0; i < node.length; i++) node[i] = float(node[i])
    else if (node instanceof Map) for (const entry of this.#entriesOf(node)) entry[key] = float(entry[key])
    else if (node instanceof Set) {
      const members = this.#membersOf(node)
      for (let i = 0; i < members.length; i++) members[i] = float(members[i])
    }
  }
  /** `steps` as a path for messages: `result[0]["k"]`. */
  describe(steps: readonly number[], root: string): string {
    let out = root
    let node: unknown = this.root
    for (const [i, step] of steps.entries()) {
      if (i > 0) {
        if (node instanceof Map) {
          const key = this.#entriesOf(node)[step >> 1]?.[0]
          out += `[${typeof key === 'string' ? JSON.stringify(key) : String(key)}]${step & 1 ? '' : '(key)'}`
        } else if (node instanceof Set || node instanceof PyFrozenSet) out += `{${step}}`
        else out += `[${step}]`
      }
      node = this.child(node, step)
    }
    return out
  }
  flush(): void {
    for (const [map, entries] of this.#entries) {
      map.clear()
      for (const [key, value] of entries) map.set(key, value)
    }
    for (const [set, members] of this.#members) {
      set.clear()
      for (const member of members) set.add(member)
    }
  }
}

/**
 * What in a run's result is not data for JavaScript, by the walk's notes on `[value]`: a module,
 * range, cycle, over-deep part, or a value of another type that Monty handed out as a string or
 * a tag that is not data. Floats, frozensets and shared parts are data (as JS numbers, `Set`s and
 * copies). `undefined` when it is all data.
 */
export function resultNonData(
  value: unknown,
  notes: readonly WalkNote[],
  path: string,
): { path: string; found: string } | undefined {
  const nav = new Navigator([value])
  for (const [steps, kind, argument] of notes) {
    let found: string | undefined
    if (kind === 'module' || kind === 'range' || kind === 'cycle' || kind === 'deep') found = kind
    else if (kind === 'other') {
      const node = nav.get(steps)
      const tag =
        typeof node === 'object' && node !== null
          ? (node as { __monty_type__?: unknown }).__monty_type__
          : undefined
      if (!(typeof tag === 'string' && DATA_TAGS.has(tag))) found = String(argument)
    }
    if (found) return { path: nav.describe(steps, path), found }
  }
  return undefined
}
