import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'

/**
 * The differential property of issue 12: random sequences of snippets (assignments, aliases,
 * containers holding other names, mutations through any name, float arithmetic, a function,
 * names bound to builtins, module functions and regexes; two names bound to one compiled regex
 * are two equal regexes in a later run, so for those the summary compares with `==`)
 * leave the same final values, types and sharing whether they run as N separate runs in one
 * session, as N runs with the state dumped and loaded between each, or as one program in one
 * run. The seed is fixed so CI runs the same cases every time; `PYFLUE_PROPERTY_SEED` and
 * `PYFLUE_PROPERTY_RUNS` change it and raise the count for a longer search.
 */
const SEED = Number(process.env.PYFLUE_PROPERTY_SEED ?? 20261203)
const RUNS = Number(process.env.PYFLUE_PROPERTY_RUNS ?? 40)

const NAMES = ['a', 'b', 'c', 'd'] as const
const name = fc.constantFrom(...NAMES)
/** Values that are hashable and compare sanely (no nan: it is not equal to itself as a key). */
const hashable = fc.oneof(
  fc.integer({ min: -3, max: 3 }).map(String),
  fc.constantFrom(
    '2.0',
    '-0.0',
    '0.5',
    '3.0',
    '1e300',
    'float("inf")',
    "'x'",
    "'[...]'",
    "'range(0, 3)'",
    'True',
  ),
)
const scalar = fc.oneof(
  hashable,
  fc.constantFrom('float("nan")', 'None', `"<function 'f' at 0x1>"`, "b'\\x00'"),
)
const literal = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
  fc.array(scalar, { maxLength: 3 }).map((items) => `(${items.join(', ')}${items.length === 1 ? ',' : ''})`),
  fc.array(hashable, { maxLength: 3 }).map((items) => `{${items.map((k, i) => `${k}: ${i}.0`).join(', ')}}`),
  fc
    .array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 })
    .map((items) => `{${items.map((i) => `${i}.0`).join(', ')}}`),
  fc.array(hashable, { maxLength: 3 }).map((items) => `frozenset([${items.join(', ')}])`),
  fc
    .tuple(fc.integer({ min: -2, max: 3 }), fc.integer({ min: 0, max: 5 }))
    .map(([a, b]) => `range(${a}, ${b})`),
)
/** An expression that may hold other names (so objects get shared), never making a cycle. */
const expression = fc.oneof(
  literal,
  name,
  fc.tuple(name, scalar).map(([n, s]) => `[${n}, ${s}]`),
  fc.tuple(name, name).map(([n, m]) => `{'k': ${n}, 'j': [${m}]}`),
  fc.tuple(name, scalar).map(([n, s]) => `(${n}, ${s})`),
  name.map((n) => `twice(${n})`),
)
/** Mutations add only fresh literals, so no value comes to contain itself. */
const statement = fc.oneof(
  fc.tuple(name, expression).map(([n, e]) => `${n} = ${e}`),
  fc.tuple(name, literal).map(([n, l]) => `if type(${n}) is list:\n    ${n}.append(${l})`),
  fc.tuple(name, literal).map(([n, l]) => `if type(${n}) is dict:\n    ${n}['k'] = ${l}`),
  fc.tuple(name, hashable).map(([n, h]) => `if type(${n}) is set:\n    ${n}.add(${h})`),
  name.map((n) => `if type(${n}) is float or type(${n}) is int:\n    ${n} = ${n} * 2.0 + 1`),
  name.map(
    (n) => `if type(${n}) is list and len(${n}) > 0 and type(${n}[0]) is list:\n    ${n}[0].append(1.0)`,
  ),
  name.map((n) => `if type(${n}) is dict and type(${n}.get('j')) is list:\n    ${n}['j'].append(-0.0)`),
  // Aliases of builtins, module functions and regexes, under names of their own (f, g).
  fc
    .tuple(
      fc.constantFrom('f', 'g'),
      fc.constantFrom(
        'len',
        'sorted',
        'int',
        'ValueError',
        'math.floor',
        'datetime.date',
        're.compile("a+")',
        'f',
        'g',
      ),
    )
    .map(([n, e]) => `${n} = ${e}`),
)
/** A snippet: one to three statements. */
const snippet = fc.array(statement, { minLength: 1, maxLength: 3 }).map((lines) => lines.join('\n'))

const SETUP =
  'import math\nimport re\nimport datetime\na = 0\nb = 0.0\nc = [1]\nd = c\nf = len\ng = math.floor\ndef twice(v):\n    return [v, v, 2.0]'
/** Types, reprs (sets sorted) and which mutable objects are one object, among the names and one level into them. */
const SUMMARY = `def canon(v):
    t = type(v).__name__
    if t == 'list' or t == 'tuple':
        return [t, [canon(x) for x in v]]
    if t == 'dict':
        return [t, [[canon(k), canon(x)] for k, x in v.items()]]
    if t == 'set' or t == 'frozenset':
        return [t, sorted([repr(canon(x)) for x in v])]
    if t == 'range':
        return [t, list(v)]
    return [t, repr(v)]
objs = [a, b, c, d]
for o in [a, b, c, d]:
    if type(o) is list:
        objs.extend(o)
    if type(o) is dict:
        objs.extend(list(o.values()))
mutable = [o for o in objs if type(o) is list or type(o) is dict or type(o) is set]
(repr([canon(a), canon(b), canon(c), canon(d), canon(f), canon(g)]), [[x is y for y in mutable] for x in mutable], f is g if type(f).__name__ != 're.Pattern' else f == g)`

async function finalValues(
  execution: 'pool' | 'in-thread-trusted-code-only',
  snippets: readonly string[],
  how: 'runs' | 'runs-with-reload' | 'one-run',
): Promise<unknown> {
  let backend = createMontyBackend({ execution })
  try {
    if (how === 'one-run') return (await backend.run([SETUP, ...snippets, SUMMARY].join('\n'))).result
    for (const code of [SETUP, ...snippets]) {
      const run = await backend.run(code)
      expect(run.notKept).toBeUndefined()
      if (how === 'runs-with-reload') {
        const bytes = await backend.dumpState()
        await backend.close()
        backend = createMontyBackend({ execution })
        await backend.loadState(bytes)
      }
    }
    return (await backend.run(SUMMARY)).result
  } finally {
    await backend.close()
  }
}

describe('values survive runs exactly: a differential property', () => {
  for (const execution of ['in-thread-trusted-code-only', 'pool'] as const) {
    it(`N runs, N runs with reloads and one run agree (${execution})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(snippet, { minLength: 1, maxLength: 6 }), async (snippets) => {
          const together = await finalValues(execution, snippets, 'one-run')
          expect(await finalValues(execution, snippets, 'runs')).toEqual(together)
          expect(await finalValues(execution, snippets, 'runs-with-reload')).toEqual(together)
        }),
        { seed: SEED, numRuns: execution === 'pool' ? Math.ceil(RUNS / 4) : RUNS },
      )
    }, 120_000)
  }
})
