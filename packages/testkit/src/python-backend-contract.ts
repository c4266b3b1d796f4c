import { type PythonBackend, refuseUnknownKeys, type StandardSchemaV1 } from '@pyflue/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkSuiteOptions } from './check-options.js'
import { expectAbortError, expectPyFlueError } from './expect-errors.js'

/** Optional parts of the contract a backend may lack; tests of a missing part are not registered. */
export interface PythonBackendCapabilities {
  /** `externalFunctions` in `run`. */
  externalFunctions?: boolean
  /** `resourceLimits.maxDurationSecs` stops a busy loop. */
  durationLimit?: boolean
  /** `registerDataclass`. */
  dataclasses?: boolean
  /** `typeCheck: true`. */
  typeCheck?: boolean
  /** `signal` aborts a run that is already executing. */
  abortRunning?: boolean
}

/** Options of `describePythonBackendContract`. */
export interface PythonBackendContractOptions {
  /** Per-test timeout in milliseconds. Default 30 000. */
  timeoutMs?: number
  /** What the backend supports beyond the core. Everything defaults to `true`. */
  capabilities?: PythonBackendCapabilities
}

/**
 * Registers one vitest test per guarantee of the `PythonBackend` contract (see `@pyflue/core`'s
 * `python-backend.ts`). `makeBackend` is called for a fresh, empty session before each test
 * (and a second time for tests that move state between sessions).
 */
export function describePythonBackendContract(
  name: string,
  makeBackend: () => PythonBackend | Promise<PythonBackend>,
  options: PythonBackendContractOptions = {},
): void {
  checkSuiteOptions(options, ['timeoutMs', 'capabilities'], 'describePythonBackendContract options')
  refuseUnknownKeys(
    options.capabilities,
    ['externalFunctions', 'durationLimit', 'dataclasses', 'typeCheck', 'abortRunning'],
    'describePythonBackendContract options.capabilities',
  )
  const can = (capability: keyof PythonBackendCapabilities) => options.capabilities?.[capability] ?? true

  describe(`PythonBackend contract: ${name}`, () => {
    let backend: PythonBackend
    const others: PythonBackend[] = []

    beforeEach(async () => {
      backend = await makeBackend()
    }, options.timeoutMs)

    afterEach(async () => {
      await backend.close()
      for (const other of others.splice(0)) await other.close()
    }, options.timeoutMs)

    const test = (title: string, fn: () => Promise<void>) => it(title, fn, options.timeoutMs)
    const another = async () => {
      const made = await makeBackend()
      others.push(made)
      return made
    }

    describe('run', () => {
      test('name is a non-empty string and contractVersion is 1', async () => {
        expect(typeof backend.name).toBe('string')
        expect(backend.name.length).toBeGreaterThan(0)
        expect(backend.contractVersion).toBe(1)
      })

      test('resolves the value of the last expression with stdout, backend, durationMs and metadata', async () => {
        const run = await backend.run('x = 20\nx * 2 + 2')
        expect(run.result).toBe(42)
        expect(run.stdout).toBe('')
        expect(run.backend).toBe(backend.name)
        expect(typeof run.durationMs).toBe('number')
        expect(run.durationMs).toBeGreaterThanOrEqual(0)
        expect(typeof run.metadata).toBe('object')
      })

      test('a snippet that ends with a statement resolves null', async () => {
        expect((await backend.run('y = 1')).result).toBeNull()
      })

      test('captures what the snippet prints into stdout', async () => {
        const run = await backend.run('print("hello")\nprint("a", 1)')
        expect(run.stdout).toBe('hello\na 1\n')
      })

      test('converts dicts with string keys, lists, strings, floats, booleans and None', async () => {
        const run = await backend.run('{"n": [1, 2.5, "s", True, None], "nested": {"k": False}}')
        expect(run.result).toEqual({ n: [1, 2.5, 's', true, null], nested: { k: false } })
      })
    })

    describe('one session is one namespace', () => {
      test('later runs see the variables of earlier runs', async () => {
        await backend.run('total = 40')
        expect((await backend.run('total + 2')).result).toBe(42)
      })

      test('later runs see functions and imports of earlier runs', async () => {
        await backend.run('import math\ndef area(r):\n    return round(math.pi * r * r, 2)')
        expect((await backend.run('area(2)')).result).toBe(12.57)
      })

      test('functions read the current value of globals', async () => {
        await backend.run('rate = 2\ndef scale(v):\n    return v * rate')
        await backend.run('rate = 10')
        expect((await backend.run('scale(3)')).result).toBe(30)
      })

      test('sessions are isolated from each other', async () => {
        const other = await another()
        await backend.run('secret = 1')
        await expectPyFlueError(other.run('secret'), 'PYTHON_RUNTIME')
      })

      test('runs execute one at a time in call order', async () => {
        const runs = [
          backend.run('n = 1'),
          backend.run('n = n * 10'),
          backend.run('n = n + 5'),
          backend.run('n'),
        ]
        const results = await Promise.all(runs)
        expect(results[3]!.result).toBe(15)
      })
    })

    describe('inputs', () => {
      test('binds inputs for the run', async () => {
        const run = await backend.run('{"total": sum(items), "count": len(items)}', {
          inputs: { items: [1, 2, 3] },
        })
        expect(run.result).toEqual({ total: 6, count: 3 })
      })

      test('inputs do not persist unless the snippet assigns them', async () => {
        await backend.run('a * 2', { inputs: { a: 4 } })
        const error = await expectPyFlueError(backend.run('a'), 'PYTHON_RUNTIME')
        expect(error.excType).toBe('NameError')
      })
    })

    describe('errors', () => {
      test('a syntax error rejects with PythonSyntaxError and its line in the snippet', async () => {
        const error = await expectPyFlueError(backend.run('x = 1\nif x ==\n  pass'), 'PYTHON_SYNTAX')
        expect(error.excType).toBe('SyntaxError')
        expect(error.line).toBe(2)
      })

      test('an uncaught exception rejects with PythonRuntimeError: type, message, traceback lines in the snippet', async () => {
        const error = await expectPyFlueError(backend.run('a = 1\nb = 0\na / b'), 'PYTHON_RUNTIME')
        expect(error.excType).toBe('ZeroDivisionError')
        expect(typeof error.pythonMessage).toBe('string')
        const traceback = error.traceback as { line: number }[]
        expect(traceback.at(-1)?.line).toBe(3)
      })

      test('a failed run leaves the namespace exactly as before', async () => {
        await backend.run('x = 1\nitems = [1]')
        await expectPyFlueError(
          backend.run('x = 2\nitems.append(2)\nfresh = 3\nraise ValueError("no")'),
          'PYTHON_RUNTIME',
        )
        expect((await backend.run('[x, items]')).result).toEqual([1, [1]])
        const error = await expectPyFlueError(backend.run('fresh'), 'PYTHON_RUNTIME')
        expect(error.excType).toBe('NameError')
      })

      test('the session keeps working after an error', async () => {
        await expectPyFlueError(backend.run('1 / 0'), 'PYTHON_RUNTIME')
        expect((await backend.run('1 + 1')).result).toBe(2)
      })
    })

    describe('result validation (Standard Schema)', () => {
      test('resolves the validator output as result', async () => {
        const run = await backend.run('{"count": 3}', { result: countSchema })
        expect(run.result).toEqual({ count: 3, checked: true })
      })

      test('accepts asynchronous validators', async () => {
        const run = await backend.run('7', { result: asyncNumberSchema })
        expect(run.result).toBe(7)
      })

      test('a result that fails validation rejects with ResultValidationError carrying the issues', async () => {
        const error = await expectPyFlueError(
          backend.run('{"count": "three"}', { result: countSchema }),
          'RESULT_VALIDATION',
        )
        expect(error.issues).toEqual([{ message: 'count must be a number', path: ['count'] }])
      })
    })

    describe('state', () => {
      test('dumpState resolves non-empty bytes', async () => {
        await backend.run('value = 37')
        const state = await backend.dumpState()
        expect(state).toBeInstanceOf(Uint8Array)
        expect(state.byteLength).toBeGreaterThan(0)
      })

      test('loadState restores a dumped session, in this session or another', async () => {
        await backend.run('value = 37\ndef twice(v):\n    return v * 2')
        const state = await backend.dumpState()
        await backend.run('value = 0')
        await backend.loadState(state)
        expect((await backend.run('value')).result).toBe(37)
        const other = await another()
        await other.loadState(state)
        expect((await other.run('twice(value)')).result).toBe(74)
      })

      test('foreign bytes are refused with StateFormatError and the session is unchanged', async () => {
        await backend.run('kept = "yes"')
        await expectPyFlueError(
          backend.loadState(new TextEncoder().encode('definitely not a state dump')),
          'STATE_FORMAT',
        )
        expect((await backend.run('kept')).result).toBe('yes')
      })

      test('truncated bytes are refused with StateFormatError and the session is unchanged', async () => {
        await backend.run('big = list(range(100))')
        const state = await backend.dumpState()
        await backend.run('kept = 1')
        await expectPyFlueError(
          backend.loadState(state.slice(0, Math.floor(state.byteLength / 2))),
          'STATE_FORMAT',
        )
        expect((await backend.run('kept')).result).toBe(1)
      })
    })

    describe('abort and close', () => {
      test('an already-aborted signal rejects with AbortError and changes nothing', async () => {
        await backend.run('counter = 1')
        const controller = new AbortController()
        controller.abort()
        await expectAbortError(backend.run('counter = 2', { signal: controller.signal }))
        expect((await backend.run('counter')).result).toBe(1)
      })

      if (can('abortRunning')) {
        test('aborting a running snippet rejects with AbortError and keeps earlier state', async () => {
          await backend.run('kept = 5')
          const controller = new AbortController()
          const running = backend.run('kept = 6\nwhile True:\n    pass', {
            signal: controller.signal,
            resourceLimits: { maxDurationSecs: 20 },
          })
          setTimeout(() => controller.abort(), 100)
          await expectAbortError(running)
          expect((await backend.run('kept')).result).toBe(5)
        })
      }

      test('close makes later runs reject with ClosedError; closing twice is a no-op', async () => {
        const other = await another()
        await other.close()
        await expect(other.close()).resolves.toBeUndefined()
        await expectPyFlueError(other.run('1'), 'CLOSED')
      })
    })

    if (can('externalFunctions')) {
      describe('external functions', () => {
        test('positional arguments arrive as arguments; a returned promise is awaited', async () => {
          const run = await backend.run('add(40, 2)', {
            externalFunctions: { add: async (a: number, b: number) => a + b },
          })
          expect(run.result).toBe(42)
        })

        test('keyword arguments arrive as one trailing object', async () => {
          const seen: unknown[][] = []
          const run = await backend.run('describe(1, size=2, label="x")', {
            externalFunctions: {
              describe: (...args: unknown[]) => {
                seen.push(args)
                return 'ok'
              },
            },
          })
          expect(run.result).toBe('ok')
          expect(seen).toEqual([[1, { size: 2, label: 'x' }]])
        })

        test('a thrown value becomes a Python exception the snippet can catch', async () => {
          const code =
            'try:\n    fail()\n    r = "not raised"\nexcept Exception as e:\n    r = "caught: " + str(e)\nr'
          const run = await backend.run(code, {
            externalFunctions: {
              fail: () => {
                throw new Error('boom')
              },
            },
          })
          expect(run.result).toContain('caught: ')
          expect(run.result).toContain('boom')
        })

        test('calling a function that was not provided is a NameError', async () => {
          const error = await expectPyFlueError(backend.run('not_provided(1)'), 'PYTHON_RUNTIME')
          expect(error.excType).toBe('NameError')
        })
      })
    }

    if (can('durationLimit')) {
      describe('resource limits', () => {
        test('maxDurationSecs stops a busy loop with ResourceLimitError naming the limit; the session keeps working', async () => {
          await backend.run('before = 1')
          const error = await expectPyFlueError(
            backend.run('before = 2\nwhile True:\n    pass', { resourceLimits: { maxDurationSecs: 0.3 } }),
            'RESOURCE_LIMIT',
          )
          expect(error.limit).toBe('maxDurationSecs')
          expect((await backend.run('before')).result).toBe(1)
        })
      })
    }

    if (can('dataclasses')) {
      describe('dataclasses', () => {
        test('a registered class crosses in with attribute access and comes back as an instance', async () => {
          class Row {
            constructor(
              public name: string,
              public score: number,
            ) {}
          }
          backend.registerDataclass(Row, { fields: ['name', 'score'] })
          expect((await backend.run('row.score * 2', { inputs: { row: new Row('a', 21) } })).result).toBe(42)
          const back = (await backend.run('row', { inputs: { row: new Row('b', 1) } })).result
          expect(back).toBeInstanceOf(Row)
          expect(back).toEqual(new Row('b', 1))
        })
      })
    }

    if (can('typeCheck')) {
      describe('type checking', () => {
        test('typeCheck: true refuses a badly typed snippet with PythonTypingError before running it', async () => {
          await backend.run('ran = False')
          const error = await expectPyFlueError(
            backend.run('ran = True\nx: int = "text"', { typeCheck: true }),
            'PYTHON_TYPING',
          )
          expect(typeof error.diagnostics).toBe('string')
          expect((await backend.run('ran')).result).toBe(false)
        })
      })
    }
  })
}

/** A Standard Schema written by hand, so the suite depends on no validation library. */
const countSchema: StandardSchemaV1<unknown, { count: number; checked: true }> = {
  '~standard': {
    version: 1,
    vendor: 'pyflue-testkit',
    validate(value) {
      const count = (value as { count?: unknown } | null)?.count
      if (typeof count !== 'number')
        return { issues: [{ message: 'count must be a number', path: ['count'] }] }
      return { value: { count, checked: true } }
    },
  },
}

const asyncNumberSchema: StandardSchemaV1<unknown, number> = {
  '~standard': {
    version: 1,
    vendor: 'pyflue-testkit',
    async validate(value) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      return typeof value === 'number' ? { value } : { issues: [{ message: 'expected a number' }] }
    },
  },
}
