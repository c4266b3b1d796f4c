import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { tuple } from './value-conversion.js'

/**
 * Values survive runs exactly (issue 12): each case runs its steps in one fresh session, as
 * separate runs, and checks the last run's result; the same snippets run as one program in one
 * run must give the same result, as in one CPython session.
 */
interface Case {
  readonly name: string
  readonly steps: readonly string[]
  readonly result: unknown
}

const cases: Case[] = [
  {
    name: 'an integral float stays a float',
    steps: ['x = 2.0', '(type(x).__name__, repr(x))'],
    result: tuple('float', '2.0'),
  },
  { name: '-0.0 keeps its sign', steps: ['z = -0.0', 'repr(z)'], result: '-0.0' },
  {
    name: 'inf and nan stay floats',
    steps: [
      'a = float("inf")\nb = float("-inf")\nc = float("nan")',
      '(type(a).__name__, a > 1e300, b < 0, c != c, type(c).__name__)',
    ],
    result: tuple('float', true, true, true, 'float'),
  },
  {
    name: 'a large integral float stays a float',
    steps: ['x = float(2**60)\ny = 1e300', '(type(x).__name__, x == 2**60, type(y).__name__, y == 1e300)'],
    result: tuple('float', true, 'float', true),
  },
  {
    name: 'a big int stays an int',
    steps: ['x = 2**60\ny = 2**53', '(type(x).__name__, x, type(y).__name__)'],
    result: tuple('int', 2n ** 60n, 'int'),
  },
  {
    name: 'floats inside a list stay floats',
    steps: ['xs = [1.0, 2, 3.5, -0.0]', 'repr(xs)'],
    result: '[1.0, 2, 3.5, -0.0]',
  },
  {
    name: 'a list of only floats stays floats',
    steps: ['xs = [1.0, 2.0, 3.0]', 'repr(xs)'],
    result: '[1.0, 2.0, 3.0]',
  },
  {
    name: 'floats as dict keys and values stay floats',
    steps: ['d = {1.0: 2.0, "a": [3.0], (1, 2.0): 0.0}', 'repr(d)'],
    result: "{1.0: 2.0, 'a': [3.0], (1, 2.0): 0.0}",
  },
  {
    name: 'floats inside a tuple and a set stay floats',
    steps: ['t = (1.0, (2.0, 3))\ns = {4.0}', 'repr(t) + repr(s)'],
    result: '(1.0, (2.0, 3)){4.0}',
  },
  {
    name: 'a total accumulated over runs stays a float',
    steps: ['total = 0.0', 'total += 2', 'total += 3\nrepr(total)'],
    result: '5.0',
  },
  {
    name: '-0.0 keeps its sign in a set, a frozenset and as a dict key',
    steps: ['s = {-0.0}\nf = frozenset([-0.0, 1])\nd = {-0.0: -0.0}\ng = {-0.0, 2.0}', 'repr([s, f, d, g])'],
    result: '[{-0.0}, frozenset({-0.0, 1}), {-0.0: -0.0}, {-0.0, 2.0}]',
  },
  {
    name: 'a frozenset stays a frozenset',
    steps: ['f = frozenset([1, 2])', '(type(f).__name__, sorted(f))'],
    result: tuple('frozenset', [1, 2]),
  },
  {
    name: 'a frozenset inside a set and as a dict key stays a frozenset',
    steps: ['s = {frozenset([1.0])}\nd = {frozenset(["a"]): 1}', '(repr(s), [type(k).__name__ for k in d])'],
    result: tuple('{frozenset({1.0})}', ['frozenset']),
  },
  {
    name: 'strings that look like reprs stay strings',
    steps: [
      `s = ["[...]", "<function 'f' at 0x1>", "range(0, 10)", "<module 'math'>", "<iterator>"]\nd = {"k": "{...}"}`,
      '(s, d)',
    ],
    result: tuple(['[...]', "<function 'f' at 0x1>", 'range(0, 10)', "<module 'math'>", '<iterator>'], {
      k: '{...}',
    }),
  },
  {
    name: 'a top-level string that looks like a repr stays a string',
    steps: ['t = "range(0, 10)"', 't'],
    result: 'range(0, 10)',
  },
  { name: 'a module alias persists', steps: ['import math\nm = math', 'm.floor(2.5)'], result: 2 },
  { name: 'import as persists', steps: ['import math as mm', 'mm.floor(3.5)'], result: 3 },
  {
    name: 'a range persists',
    steps: ['r = range(5)\nq = range(1, 10, 3)', '(type(r).__name__, list(r), list(q), repr(q))'],
    result: tuple('range', [0, 1, 2, 3, 4], [1, 4, 7], 'range(1, 10, 3)'),
  },
  {
    name: 'a range inside a list persists',
    steps: ['rs = [range(2), range(-3, 0)]', '[list(r) for r in rs]'],
    result: [
      [0, 1],
      [-3, -2, -1],
    ],
  },
  { name: 'an alias of a list stays shared', steps: ['x = [1]\ny = x', 'y.append(2)', 'x'], result: [1, 2] },
  { name: 'aliases stay the same object', steps: ['x = [1]\ny = x', 'x is y'], result: true },
  {
    name: 'a list held by a name and a dict stays shared',
    steps: ['a = [1]\nd = {"k": a}', 'a.append(2)', 'd["k"]'],
    result: [1, 2],
  },
  {
    name: 'a list held twice in one list stays shared',
    steps: ['a = [[0]] * 2', 'a[0].append(1)', 'a'],
    result: [
      [0, 1],
      [0, 1],
    ],
  },
  {
    name: 'a shared list inside a tuple stays shared',
    steps: ['a = [1]\nt = (a, 2.0)', 't[0].append(3)', '(a, repr(t))'],
    result: tuple([1, 3], '([1, 3], 2.0)'),
  },
  {
    name: 'sharing holds when only one of the names is touched',
    steps: ['x = {"n": 1}\ny = x', 'x["n"] = 2', 'z = 0', 'y["n"]'],
    result: 2,
  },
  {
    name: 'a name rebound after sharing no longer shares',
    steps: ['x = [1]\ny = x', 'x = [5]', 'y.append(2)', '(x, y)'],
    result: tuple([5], [1, 2]),
  },
  {
    name: 'shared floats in a function global stay shared',
    steps: ['acc = [0.0]\nalias = acc\ndef add(v):\n    acc.append(v)', 'add(1.0)', 'repr(alias)'],
    result: '[0.0, 1.0]',
  },
  {
    name: 'an alias of a builtin persists',
    steps: ['f = len', '(f([1, 2]), f is len)'],
    result: tuple(2, true),
  },
  {
    name: 'aliases of builtin types and exception classes persist',
    steps: [
      't = int\ns = str\nE = ValueError',
      '(t("5"), s(5), t is int, E is ValueError, type(E("x")).__name__)',
    ],
    result: tuple(5, '5', true, true, 'ValueError'),
  },
  {
    name: "an alias of a module's function persists",
    steps: ['import math\nsq = math.sqrt', '(sq(16) == 4.0, sq is math.sqrt)'],
    result: tuple(true, true),
  },
  {
    name: "an alias of a module's function outlives the module's name",
    steps: ['import math as m\nfl = m.floor\nm = 3', '(fl(2.5), m)'],
    result: tuple(2, 3),
  },
  {
    name: "an alias of a module's type persists",
    steps: ['import datetime\nD = datetime.date', 'D(2020, 1, 2).year'],
    result: 2020,
  },
  {
    name: 'a compiled regex persists with its pattern and flags',
    steps: ['import re\nrx = re.compile("a+b", re.I)', '(rx.pattern, rx.flags, rx.match("AAB") is not None)'],
    result: tuple('a+b', 2, true),
  },
  {
    name: 'a regex with quotes and backslashes in its pattern persists',
    steps: [
      `import re\n${String.raw`rx = re.compile('\\d\'"x')`}`,
      String.raw`(rx.pattern, rx.match('1\'"x') is not None)`,
    ],
    result: tuple('\\d\'"x', true),
  },
  {
    name: 'an alias of a builtin keeps the builtin when the name is shadowed later',
    steps: ['f = len', 'len = 4', '(f([1]), len)'],
    result: tuple(1, 4),
  },
  {
    name: 'an alias made after the builtin is shadowed holds the shadowing value',
    steps: ['len = 4\nf = sorted', '(f([2, 1]), len)'],
    result: tuple([1, 2], 4),
  },
  {
    name: 'a name Monty has no builtin of can be bound and read back',
    steps: ['eval = 3\nopen = [1]', '(eval, open)'],
    result: tuple(3, [1]),
  },
  {
    name: "a builtin's name bound only on a path not taken stays the builtin",
    steps: ['if len([]) > 0:\n    len = 5', '(len([1, 2]), len is len)'],
    result: tuple(2, true),
  },
  {
    name: "strings that look like a builtin's or a module function's repr stay strings",
    steps: ['s = "<built-in function len>"\nl = ["<function sqrt at 0x1>", "<class \'int\'>"]', '(s, l)'],
    result: tuple('<built-in function len>', ['<function sqrt at 0x1>', "<class 'int'>"]),
  },
]

const modes = ['pool', 'in-thread-trusted-code-only'] as const

for (const execution of modes) {
  describe(`values survive runs exactly (${execution})`, () => {
    for (const testCase of cases) {
      it(testCase.name, async () => {
        const backend = createMontyBackend({ execution })
        const oneRun = createMontyBackend({ execution })
        try {
          let last: unknown
          for (const step of testCase.steps) last = (await backend.run(step)).result
          expect(last).toEqual(testCase.result)
          // The same snippets as one program in one run.
          const together = (await oneRun.run(testCase.steps.join('\n'))).result
          expect(together).toEqual(testCase.result)
        } finally {
          await backend.close()
          await oneRun.close()
        }
      })
    }
  })
}
