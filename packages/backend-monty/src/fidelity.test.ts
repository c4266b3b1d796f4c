import type { PythonRunOptions } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createMontyBackend } from './monty-backend.js'
import { tuple } from './value-conversion.js'

/**
 * "Run A, then run B, gives X": each case runs its steps in one fresh session; every step but
 * the last must succeed, and the last one's result (or error) is checked.
 */
type Step = string | { code: string; options?: PythonRunOptions<any> }
interface Case {
  readonly rule: string
  readonly name: string
  readonly steps: readonly Step[]
  readonly result?: unknown
  readonly error?: {
    code: string
    excType?: string
    limit?: string
    construct?: string
    line?: number
    found?: string
    path?: string
  }
  /** For runtime errors: the line of the innermost traceback frame, in the snippet. */
  readonly tracebackLine?: number
}

class Row {
  constructor(
    public name: string,
    public score: number,
  ) {}
}

const cases: Case[] = [
  // 1. One session is one namespace.
  { rule: '1', name: 'a variable persists', steps: ['value = 37', 'value'], result: 37 },
  {
    rule: '1',
    name: 'a trailing comment does not hide the result',
    steps: ['x = 2  # two\nx * 3  # six\n# done'],
    result: 6,
  },
  {
    rule: '1',
    name: 'a def persists',
    steps: ['def double(x):\n    return x * 2', 'double(21)'],
    result: 42,
  },
  { rule: '1', name: 'a lambda persists', steps: ['triple = lambda x: x * 3', 'triple(5)'], result: 15 },
  { rule: '1', name: 'an import persists', steps: ['import math', 'math.floor(2.7)'], result: 2 },
  {
    rule: '1',
    name: 'an aliased from-import persists',
    steps: ['from math import sqrt as root', 'root(49)'],
    result: 7,
  },
  {
    rule: '1',
    name: 'a function reads the current value of a global',
    steps: ['rate = 2\ndef price(n):\n    return n * rate', 'rate = 10', 'price(3)'],
    result: 30,
  },
  {
    rule: '1',
    name: 'a function reads a global defined after it, in a later run',
    steps: ['def greet():\n    return greeting + "!"', 'greeting = "hi"', 'greet()'],
    result: 'hi!',
  },
  {
    rule: '1',
    name: 'a function reads a global bound later in the same run',
    steps: ['def total():\n    return sum(items) + bonus\nitems = [1, 2]\nbonus = 10\ntotal()'],
    result: 13,
  },
  {
    rule: '1',
    name: 'functions calling each other across runs',
    steps: ['def a():\n    return b() + 1', 'def b():\n    return 41', 'a()'],
    result: 42,
  },
  {
    rule: '1',
    name: 'a session function calls an import of an earlier run',
    steps: ['import math', 'def area(r):\n    return round(math.pi * r * r, 2)', 'area(1)'],
    result: 3.14,
  },
  {
    rule: '1',
    name: 'a function with global changes the session variable',
    steps: ['count = 0\ndef bump():\n    global count\n    count += 1', 'bump()\nbump()', 'count'],
    result: 2,
  },
  {
    rule: '1',
    name: 'a function creates a new global',
    steps: ['def setup():\n    global config\n    config = {"debug": True}', 'setup()', 'config'],
    result: { debug: true },
  },
  {
    rule: '1',
    name: 'mutation of a session list persists',
    steps: ['items = [1, 2, 3]', 'items.append(4)', 'items'],
    result: [1, 2, 3, 4],
  },
  {
    rule: '1',
    name: 'mutation inside a session function persists',
    steps: ['log = []\ndef note(x):\n    log.append(x)', 'note("a")\nnote("b")', 'log'],
    result: ['a', 'b'],
  },
  {
    rule: '1',
    name: 'augmented assignment in a loop',
    steps: ['total = 0', 'for i in range(5):\n    total += i', 'total += 100\ntotal'],
    result: 110,
  },
  {
    rule: '1',
    name: 'a conditionally bound name keeps its earlier value when the branch is skipped',
    steps: ['x = 1', 'if False:\n    x = 2\nx'],
    result: 1,
  },
  {
    rule: '1',
    name: 'a conditionally bound name that never was bound is a NameError',
    steps: ['if False:\n    fresh = 1', 'fresh'],
    error: { code: 'PYTHON_RUNTIME', excType: 'NameError' },
  },
  {
    rule: '1',
    name: 'for, with-less, walrus, except-as and tuple targets persist',
    steps: [
      'for k in range(3):\n    pass\n(a, (b, c)) = (1, (2, 3))\nif (n := 10) > 5:\n    pass\ntry:\n    1/0\nexcept ZeroDivisionError as err:\n    kind = type(err).__name__',
      '[k, a, b, c, n, kind]',
    ],
    result: [2, 1, 2, 3, 10, 'ZeroDivisionError'],
  },
  {
    rule: '1',
    name: 'inputs and external functions in the same run as session state',
    steps: [
      'base = 100',
      {
        code: 'base + add(x, 1)',
        options: { inputs: { x: 1 }, externalFunctions: { add: (a: number, b: number) => a + b } },
      },
    ],
    result: 102,
  },
  {
    rule: '1',
    name: 'an input does not persist unless assigned',
    steps: [{ code: 'temp * 2', options: { inputs: { temp: 4 } } }, 'temp'],
    error: { code: 'PYTHON_RUNTIME', excType: 'NameError' },
  },
  {
    rule: '1',
    name: 'an assigned input persists',
    steps: [{ code: 'kept = temp * 2', options: { inputs: { temp: 4 } } }, 'kept'],
    result: 8,
  },
  {
    rule: '1',
    name: 'an input shadows a session variable of the same name for one run',
    steps: ['n = 1', { code: 'n', options: { inputs: { n: 5 } } }, 'n'],
    result: 1,
  },
  {
    rule: '1',
    name: 'a redefined function replaces the old one',
    steps: ['def f():\n    return 1', 'def f():\n    return 2', 'f()'],
    result: 2,
  },
  {
    rule: '1',
    name: 'a data value replaces a function of the same name',
    steps: ['def f():\n    return 1', 'f = 5', 'f'],
    result: 5,
  },
  // 6. External functions, including names shadowing them.
  {
    rule: '6',
    name: 'an external shadows a session variable of the same name for its run',
    steps: [
      'double = 3',
      { code: 'double(4)', options: { externalFunctions: { double: (n: number) => n * 2 } } },
    ],
    result: 8,
  },
  {
    rule: '6',
    name: 'the session variable is back after the run with the external',
    steps: [
      'double = 3',
      { code: 'double(4)', options: { externalFunctions: { double: (n: number) => n * 2 } } },
      'double',
    ],
    result: 3,
  },
  {
    rule: '6',
    name: 'a snippet assigning the external name shadows the external',
    steps: [
      { code: 'double = 7\ndouble', options: { externalFunctions: { double: (n: number) => n * 2 } } },
      'double',
    ],
    result: 7,
  },
  {
    rule: '6',
    name: 'keyword arguments arrive as one trailing object',
    steps: [
      { code: 'show(1, 2, size=3)', options: { externalFunctions: { show: (...args: unknown[]) => args } } },
    ],
    result: [1, 2, { size: 3 }],
  },
  {
    rule: '6',
    name: 'an async external is a coroutine function',
    steps: [
      {
        code: 'import asyncio\nc = twice(1)\nr = [type(c).__name__, await c, await asyncio.gather(twice(2), twice(3))]\nr',
        options: { externalFunctions: { twice: async (n: number) => n * 2 } },
      },
    ],
    result: ['coroutine', 2, [4, 6]],
  },
  {
    rule: '6',
    name: 'a plain external returning a promise is awaited on the host',
    steps: [
      { code: 'slow(5)', options: { externalFunctions: { slow: (n: number) => Promise.resolve(n + 1) } } },
    ],
    result: 6,
  },
  {
    rule: '6',
    name: 'a session function calls an external given in a later run',
    steps: [
      'def fetch_twice(k):\n    return [fetch(k), fetch(k)]',
      { code: 'fetch_twice("a")', options: { externalFunctions: { fetch: (k: string) => `${k}!` } } },
    ],
    result: ['a!', 'a!'],
  },
  {
    rule: '6',
    name: 'a thrown Error becomes a catchable Python exception',
    steps: [
      {
        code: 'try:\n    fail()\nexcept Exception as e:\n    r = [type(e).__name__, str(e)]\nr',
        options: {
          externalFunctions: {
            fail: () => {
              throw new Error('nope')
            },
          },
        },
      },
    ],
    result: ['RuntimeError', 'nope'],
  },
  {
    rule: '6',
    name: 'a thrown TypeError keeps its Python name',
    steps: [
      {
        code: 'try:\n    fail()\nexcept TypeError as e:\n    r = str(e)\nr',
        options: {
          externalFunctions: {
            fail: () => {
              throw new TypeError('bad type')
            },
          },
        },
      },
    ],
    result: 'bad type',
  },
  {
    rule: '6',
    name: 'an error with a name Python does not know becomes RuntimeError',
    steps: [
      {
        code: 'try:\n    fail()\nexcept RuntimeError as e:\n    r = str(e)\nr',
        options: {
          externalFunctions: {
            fail: () => {
              const error = new Error('odd')
              error.name = 'HttpError'
              throw error
            },
          },
        },
      },
    ],
    result: 'odd',
  },
  {
    rule: '6',
    name: 'a thrown non-Error value is catchable',
    steps: [
      {
        code: 'try:\n    await fail()\nexcept Exception as e:\n    r = str(e)\nr',
        options: {
          externalFunctions: {
            fail: async () => {
              throw { status: 500 }
            },
          },
        },
      },
    ],
    result: '{"status":500}',
  },
  {
    rule: '6',
    name: 'an uncaught external error is a PythonRuntimeError',
    steps: [
      {
        code: 'fail()',
        options: {
          externalFunctions: {
            fail: () => {
              throw new RangeError('out')
            },
          },
        },
      },
    ],
    error: { code: 'PYTHON_RUNTIME', excType: 'ValueError' },
    tracebackLine: 1,
  },
  {
    rule: '6',
    name: 'an unknown function is a NameError',
    steps: ['nothing_here(1)'],
    error: { code: 'PYTHON_RUNTIME', excType: 'NameError' },
  },
  {
    rule: '6',
    name: 'a schema-declared function takes positional and keyword arguments',
    steps: [
      {
        code: '[area(2, 3), area(width=4, height=5), area(6, height=7)]',
        options: {
          externalFunctions: {
            area: {
              parameters: z.object({ width: z.number(), height: z.number() }),
              execute: ({ width, height }: { width: number; height: number }) => width * height,
            },
          },
        },
      },
    ],
    result: [6, 20, 42],
  },
  {
    rule: '6',
    name: 'a schema-declared function refuses bad arguments with a catchable TypeError',
    steps: [
      {
        code: 'try:\n    area("wide", 2)\nexcept TypeError as e:\n    r = "width" in str(e)\nr',
        options: {
          externalFunctions: {
            area: {
              parameters: z.object({ width: z.number(), height: z.number() }),
              execute: ({ width, height }: { width: number; height: number }) => width * height,
            },
          },
        },
      },
    ],
    result: true,
  },
  // 3. A failed run leaves the namespace exactly as it was.
  {
    rule: '3',
    name: 'an exception after an assignment keeps the old value',
    steps: ['x = 1', { code: 'x = 2\n1/0' }, 'x'],
    result: 1,
  },
  {
    rule: '3',
    name: 'an exception after a mutation keeps the old list',
    steps: ['items = [1]', 'items.append(2)\nraise ValueError("stop")', 'items'],
    result: [1],
  },
  {
    rule: '3',
    name: 'a def in a failed run does not persist',
    steps: ['def f():\n    return 1', 'def f():\n    return 2\n1/0', 'f()'],
    result: 1,
  },
  {
    rule: '3',
    name: 'a run that hits a limit keeps the old value',
    steps: [
      'n = 1',
      { code: 'n = 2\nwhile True:\n    pass', options: { resourceLimits: { maxDurationSecs: 0.1 } } },
      'n',
    ],
    result: 1,
  },
  {
    rule: '3',
    name: 'a result that cannot cross keeps the namespace as it was',
    steps: ['x = 1', 'import math\nx = 2\nmath', 'x'],
    result: 1,
  },
  // 5. Values.
  {
    rule: '5',
    name: 'Python types of converted inputs',
    steps: [
      {
        code: '[type(v).__name__ for v in [o, m, l, t, s, b, big, f, flag, none]]',
        options: {
          inputs: {
            o: { a: 1 },
            m: new Map([[1, 'x']]),
            l: [1],
            t: tuple(1, 2),
            s: new Set([1]),
            b: new Uint8Array([1, 2]),
            big: 2n ** 70n,
            f: 1.5,
            flag: true,
            none: null,
          },
        },
      },
    ],
    result: ['dict', 'dict', 'list', 'tuple', 'set', 'bytes', 'int', 'float', 'bool', 'NoneType'],
  },
  {
    rule: '5',
    name: 'values out: dict, non-string keys, tuple, set, bytes, big int, specials',
    steps: [
      '[{"a": 1}, {1: "x"}, (1, 2), {3}, frozenset([4]), b"hi", 2**70, 2**53 + 1, float("inf"), None, True]',
    ],
    result: [
      { a: 1 },
      new Map([[1, 'x']]),
      tuple(1, 2),
      new Set([3]),
      new Set([4]),
      new Uint8Array([104, 105]),
      2n ** 70n,
      2n ** 53n + 1n,
      Number.POSITIVE_INFINITY,
      null,
      true,
    ],
  },
  {
    rule: '5',
    name: 'dates cross as tagged objects',
    steps: ['import datetime\n[datetime.date(2024, 2, 29), datetime.datetime(2024, 1, 2, 3, 4, 5)]'],
    result: [
      { __monty_type__: 'Date', year: 2024, month: 2, day: 29 },
      {
        __monty_type__: 'DateTime',
        year: 2024,
        month: 1,
        day: 2,
        hour: 3,
        minute: 4,
        second: 5,
        microsecond: 0,
      },
    ],
  },
  {
    rule: '5',
    name: 'a tagged date input is a Python date',
    steps: [
      {
        code: 'd.year + d.month',
        options: { inputs: { d: { __monty_type__: 'Date', year: 2024, month: 2, day: 1 } } },
      },
    ],
    result: 2026,
  },
  {
    rule: '5',
    name: 'a function result is refused',
    steps: ['def f():\n    pass\nf'],
    error: { code: 'VALUE_CONVERSION' },
  },
  {
    rule: '5',
    name: 'a function inside a list is refused',
    steps: ['[1, len, 2]'],
    error: { code: 'VALUE_CONVERSION' },
  },
  {
    rule: '5',
    name: 'a str that looks like a repr is still a str',
    steps: ['s = "<module \'x\'>"', 's'],
    result: "<module 'x'>",
  },
  {
    rule: '5',
    name: 'a function passed to an external is a catchable TypeError',
    steps: [
      {
        code: 'try:\n    show(len)\nexcept TypeError as e:\n    r = "cannot cross" in str(e)\nr',
        options: { externalFunctions: { show: (v: unknown) => v } },
      },
    ],
    result: true,
  },
  {
    rule: '5',
    name: 'a cyclic Python result is refused, naming the path',
    steps: ['x = [1]\nx.append(x)\nx'],
    error: { code: 'VALUE_CONVERSION', found: 'cycle', path: 'result[1]' },
  },
  {
    rule: '5',
    name: 'a cyclic value is not kept as a lossy copy',
    steps: ['d = {"a": 1}\nd["self"] = d', 'd'],
    error: { code: 'PYTHON_RUNTIME', excType: 'NameError' },
  },
  {
    rule: '5',
    name: 'a regex match inside a list is refused',
    steps: ['import re\n[re.match("a", "a")]'],
    error: { code: 'VALUE_CONVERSION', found: 're.Match', path: 'result[0]' },
  },
  { rule: '5', name: 'an iterator is refused', steps: ['iter([1])'], error: { code: 'VALUE_CONVERSION' } },
  { rule: '5', name: 'a range is refused', steps: ['range(3)'], error: { code: 'VALUE_CONVERSION' } },
  {
    rule: '5',
    name: 'a JS Date input is refused',
    steps: [{ code: 'd', options: { inputs: { d: new Date() } } }],
    error: { code: 'VALUE_CONVERSION' },
  },
  {
    rule: '5',
    name: 'a loop variable holding a function is not kept, and says so',
    steps: ['def a():\n    return 1\nfor fn in [a]:\n    pass', 'fn'],
    error: { code: 'PYTHON_RUNTIME', excType: 'NameError' },
  },
  // 7. Dataclasses.
  {
    rule: '7',
    name: 'a dataclass input has attribute access',
    steps: [{ code: 'row.score * 2', options: { inputs: { row: new Row('a', 21) } } }],
    result: 42,
  },
  {
    rule: '7',
    name: 'a dataclass persists and comes back as an instance',
    steps: [{ code: 'kept = row', options: { inputs: { row: new Row('a', 21) } } }, 'kept.score += 1\nkept'],
    result: new Row('a', 22),
  },
  {
    rule: '7',
    name: 'Python constructs a registered dataclass',
    steps: ['r = Row(name="x", score=1)\nr2 = Row("y", 2)\n[r, r2, r.name]'],
    result: [new Row('x', 1), new Row('y', 2), 'x'],
  },
  {
    rule: '7',
    name: 'constructing with a missing field is a TypeError',
    steps: ['Row(name="x")'],
    error: { code: 'PYTHON_RUNTIME', excType: 'TypeError' },
  },
  // 8. Limits.
  {
    rule: '8',
    name: 'maxMemory names the limit',
    steps: [{ code: 'x = [0] * 10**8', options: { resourceLimits: { maxMemory: 1_000_000 } } }],
    error: { code: 'RESOURCE_LIMIT', limit: 'maxMemory' },
  },
  {
    rule: '8',
    name: 'the default memory cap applies when no limit is given',
    steps: ['x = [0] * 10**9'],
    error: { code: 'RESOURCE_LIMIT', limit: 'maxMemory' },
  },
  {
    rule: '8',
    name: 'maxRecursionDepth names the limit',
    steps: [
      {
        code: 'def f(n):\n    return f(n + 1)\nf(0)',
        options: { resourceLimits: { maxRecursionDepth: 50 } },
      },
    ],
    error: { code: 'RESOURCE_LIMIT', limit: 'maxRecursionDepth' },
  },
  {
    rule: '8',
    name: 'maxAllocations names the limit',
    steps: [
      { code: 'x = [[i] for i in range(10**5)]', options: { resourceLimits: { maxAllocations: 1000 } } },
    ],
    error: { code: 'RESOURCE_LIMIT', limit: 'maxAllocations' },
  },
  {
    rule: '8',
    name: 'maxDurationSecs covers time spent in external functions',
    steps: [
      {
        code: 'wait()',
        options: {
          resourceLimits: { maxDurationSecs: 0.1 },
          externalFunctions: { wait: () => new Promise((resolve) => setTimeout(resolve, 2000)) },
        },
      },
    ],
    error: { code: 'RESOURCE_LIMIT', limit: 'maxDurationSecs' },
  },
  {
    rule: '8',
    name: 'the session keeps working after a limit',
    steps: [{ code: 'while True:\n    pass', options: { resourceLimits: { maxDurationSecs: 0.05 } } }].map(
      () => '1 + 1',
    ),
    result: 2,
  },
  // 9. Errors.
  {
    rule: '9',
    name: 'a runtime error names the snippet line, not engine lines',
    steps: ['def helper():\n    return 1', 'import math\nx = 1\nhelper()\n1/0'],
    error: { code: 'PYTHON_RUNTIME', excType: 'ZeroDivisionError' },
    tracebackLine: 4,
  },
  {
    rule: '9',
    name: 'a traceback through a session function names the line in the run that defined it',
    steps: ['def helper():\n    x = 1\n    return 1/0', 'y = 2\nhelper()'],
    error: { code: 'PYTHON_RUNTIME', excType: 'ZeroDivisionError' },
    tracebackLine: 3,
  },
  {
    rule: '9',
    name: 'a syntax error names its line',
    steps: ['a = 1\nb = (2,\nc = 3'],
    error: { code: 'PYTHON_SYNTAX', line: 3 },
  },
  {
    rule: '9',
    name: 'class is unsupported',
    steps: ['x = 1\nclass A:\n    pass'],
    error: { code: 'PYTHON_UNSUPPORTED', construct: 'class statements', line: 2 },
  },
  {
    rule: '9',
    name: 'yield is unsupported',
    steps: ['def g():\n    yield 1'],
    error: { code: 'PYTHON_UNSUPPORTED', construct: 'yield (generators)' },
  },
  {
    rule: '9',
    name: 'del is unsupported',
    steps: ['x = 1\ndel x'],
    error: { code: 'PYTHON_UNSUPPORTED', construct: 'the del statement' },
  },
  {
    rule: '9',
    name: 'star imports are unsupported',
    steps: ['from math import *'],
    error: { code: 'PYTHON_UNSUPPORTED', construct: 'star imports (from m import *)' },
  },
  {
    rule: '9',
    name: 'globals() is unsupported',
    steps: ['globals()'],
    error: { code: 'PYTHON_UNSUPPORTED', construct: 'globals()' },
  },
  // 10. stdout.
  {
    rule: '10',
    name: 'print output is per run',
    steps: ['print("first")', 'print("second")\n1'],
    result: 1,
  },
]

/** In a pool process (the default, with and without a signal), and on the calling thread. */
const modes = [
  { mode: 'pool', execution: 'pool', extra: () => ({}) },
  { mode: 'pool, signal given', execution: 'pool', extra: () => ({ signal: new AbortController().signal }) },
  { mode: 'in-thread-trusted-code-only', execution: 'in-thread-trusted-code-only', extra: () => ({}) },
] as const

for (const { mode, execution, extra } of modes) {
  describe(`fidelity (${mode}): run A, then run B, gives X`, () => {
    for (const testCase of cases) {
      it(`rule ${testCase.rule}: ${testCase.name}`, async () => {
        const backend = createMontyBackend({ execution })
        backend.registerDataclass(Row, { fields: ['name', 'score'] })
        const steps = testCase.steps.map((step) => {
          const { code, options } = typeof step === 'string' ? { code: step, options: {} } : step
          return { code, options: { ...options, ...extra() } }
        })
        try {
          for (const step of steps.slice(0, -1)) {
            await backend.run(step.code, step.options).catch((error: unknown) => {
              // Only the steps meant to fail may fail (limits and exceptions in rule 3 and 8 cases).
              if (testCase.rule !== '3' && testCase.rule !== '8') throw error
            })
          }
          const last = steps.at(-1)!
          if (testCase.error) {
            const error = await backend.run(last.code, last.options).then(
              () => undefined,
              (e: unknown) => e,
            )
            expect(error).toMatchObject(testCase.error)
            if (testCase.tracebackLine !== undefined) {
              const traceback = (error as { traceback: { line: number; filename: string }[] }).traceback
              expect(traceback.at(-1)).toMatchObject({ line: testCase.tracebackLine, filename: '<snippet>' })
            }
          } else {
            const run = await backend.run(last.code, last.options)
            expect(run.result).toEqual(testCase.result)
          }
        } finally {
          await backend.close()
        }
      })
    }
  })
}

describe('fidelity: dataclass options', () => {
  class Point {
    constructor(
      public x: number,
      public y: number,
    ) {}
  }

  it('rule 7: a frozen dataclass refuses assignment in Python; name sets the Python class name', async () => {
    const backend = createMontyBackend()
    backend.registerDataclass(Point, { fields: ['x', 'y'], frozen: true, name: 'Pt' })
    await expect(backend.run('p.x = 5', { inputs: { p: new Point(1, 2) } })).rejects.toMatchObject({
      code: 'PYTHON_RUNTIME',
      excType: 'FrozenInstanceError',
    })
    expect((await backend.run('[Pt(3, 4), type(Pt(1, 1)).__name__]')).result).toEqual([
      new Point(3, 4),
      'dataclass',
    ])
  })

  it('rule 7: registering the same class again replaces the spec', async () => {
    const backend = createMontyBackend()
    backend.registerDataclass(Point, { fields: ['x', 'y'], name: 'A' })
    backend.registerDataclass(Point, { fields: ['x', 'y'], name: 'B' })
    expect((await backend.run('B(1, 2)')).result).toEqual(new Point(1, 2))
    await expect(backend.run('A(1, 2)')).rejects.toMatchObject({ excType: 'NameError' })
  })
})
