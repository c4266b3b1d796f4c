import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createMontyBackend } from './monty-backend.js'
import { montyBackend } from './monty-backend-factory.js'
import { DEFAULT_RESOURCE_LIMITS } from './monty-backend-options.js'

describe('montyBackend factory', () => {
  it("is named 'monty' and makes independent sessions", async () => {
    const factory = montyBackend()
    expect(factory.name).toBe('monty')
    const a = await factory.createBackend({ sessionId: 'a' })
    const b = await factory.createBackend({ sessionId: 'b' })
    await a.run('x = 1')
    await expect(b.run('x')).rejects.toMatchObject({ excType: 'NameError' })
    expect(a.name).toBe('monty')
    expect(a.contractVersion).toBe(1)
  })
})

describe('cost does not depend on history or untouched variables', () => {
  it('an untouched large variable is never loaded into a run', async () => {
    const backend = createMontyBackend()
    // The deadlines are generous: only memory may end these runs, however loaded the machine is.
    await backend.run('big = list(range(300000))', { resourceLimits: { maxDurationSecs: 120 } })
    // Loading `big` would need several MB; this run has 500 kB and succeeds.
    const small = { resourceLimits: { maxMemory: 500_000, maxDurationSecs: 120 } }
    expect((await backend.run('1 + 1', small)).result).toBe(2)
    await expect(backend.run('len(big)', small)).rejects.toMatchObject({
      code: 'RESOURCE_LIMIT',
      limit: 'maxMemory',
    })
  }, 240_000)

  it('the program a run executes does not grow with earlier runs', async () => {
    const backend = createMontyBackend()
    const first = await backend.run('1 + 1')
    for (let i = 0; i < 300; i++) await backend.run(`v${i} = ${i}\ndef f${i}():\n    return ${i}`)
    const later = await backend.run('1 + 1')
    expect(later.metadata.programBytes).toBe(first.metadata.programBytes)
    expect((await backend.run('f299() + v299')).result).toBe(598)
  })
})

describe('stdout', () => {
  it('is captured per run and streamed to onStdout', async () => {
    const backend = createMontyBackend()
    const chunks: string[] = []
    const run = await backend.run('print("a")\nprint("b", 2)\n3', { onStdout: (text) => chunks.push(text) })
    expect(run.stdout).toBe('a\nb 2\n')
    expect(chunks.join('')).toBe('a\nb 2\n')
    expect((await backend.run('4')).stdout).toBe('')
  })
})

describe('limits', () => {
  it('has defaults even when none are given', () => {
    expect(DEFAULT_RESOURCE_LIMITS).toEqual({ maxDurationSecs: 5, maxMemory: 256 * 1024 * 1024 })
  })

  it('refuses a non-positive limit', async () => {
    const backend = createMontyBackend()
    await expect(backend.run('1', { resourceLimits: { maxDurationSecs: 0 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('an abort stops a busy loop, keeps the namespace, and later runs work with or without a signal', async () => {
    const backend = createMontyBackend()
    await backend.run('kept = 1')
    const controller = new AbortController()
    const running = backend.run('kept = 2\nwhile True:\n    pass', {
      signal: controller.signal,
      resourceLimits: { maxDurationSecs: 30 },
    })
    setTimeout(() => controller.abort(), 50)
    await expect(running).rejects.toMatchObject({ name: 'AbortError' })
    expect((await backend.run('kept')).result).toBe(1)
    expect((await backend.run('kept + 1', { signal: new AbortController().signal })).result).toBe(2)
    await backend.close()
  })

  it("with execution: 'in-thread-trusted-code-only', a signal still aborts at the next pause", async () => {
    const backend = createMontyBackend({ execution: 'in-thread-trusted-code-only' })
    await backend.run('kept = 1')
    const controller = new AbortController()
    const running = backend.run('kept = 2\nwait()\nkept = 3', {
      signal: controller.signal,
      externalFunctions: { wait: () => new Promise((resolve) => setTimeout(resolve, 5000)) },
    })
    setTimeout(() => controller.abort(), 20)
    await expect(running).rejects.toMatchObject({ name: 'AbortError' })
    expect((await backend.run('kept')).result).toBe(1)
  })

  it('an abort during an external call rejects with AbortError and keeps the namespace', async () => {
    const backend = createMontyBackend()
    await backend.run('kept = 1')
    const controller = new AbortController()
    const running = backend.run('kept = 2\nwait()', {
      signal: controller.signal,
      externalFunctions: { wait: () => new Promise((resolve) => setTimeout(resolve, 5000)) },
    })
    setTimeout(() => controller.abort(), 20)
    await expect(running).rejects.toMatchObject({ name: 'AbortError' })
    expect((await backend.run('kept')).result).toBe(1)
  })
})

describe('typeCheck', () => {
  it('passes a well-typed snippet that uses inputs, session variables and externals', async () => {
    const backend = createMontyBackend()
    await backend.run('base = 10\ndef scale(x: int) -> int:\n    return x * base')
    const run = await backend.run('scale(n) + await double(value=1) + area(2, 3)', {
      typeCheck: true,
      inputs: { n: 2 },
      externalFunctions: {
        double: async ({ value }: { value: number }) => value * 2,
        area: {
          parameters: z.object({ w: z.number().int(), h: z.number().int() }),
          returns: 'int',
          execute: ({ w, h }: { w: number; h: number }) => w * h,
        },
      },
    })
    expect(run.result).toBe(28)
  })

  it('refuses a badly typed snippet with the diagnostics on snippet lines, running nothing', async () => {
    const backend = createMontyBackend()
    await backend.run('count = 1')
    const error = await backend.run('count = 2\nlabel = "n" + count', { typeCheck: true }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'PYTHON_TYPING' })
    expect((error as { diagnostics: string }).diagnostics).toContain('<snippet>:2:')
    expect((await backend.run('count')).result).toBe(1)
  })

  it('checks calls against schema-declared signatures', async () => {
    const backend = createMontyBackend()
    await expect(
      backend.run('area("x", 3)', {
        typeCheck: true,
        externalFunctions: {
          area: {
            parameters: z.object({ w: z.number().int(), h: z.number().int() }),
            execute: ({ w, h }: { w: number; h: number }) => w * h,
          },
        },
      }),
    ).rejects.toMatchObject({ code: 'PYTHON_TYPING' })
  })
})

describe('listVariables and describeExternalFunctions', () => {
  it('lists data, functions and modules with types and previews', async () => {
    const backend = createMontyBackend()
    await backend.run('import math\nitems = [1, 2, 3]\nname = "x"\ndef f(a):\n    return a')
    expect(await backend.listVariables()).toEqual([
      { name: 'f', type: 'function', preview: 'def f(a):' },
      { name: 'items', type: 'list', preview: '[1, 2, 3]' },
      { name: 'math', type: 'module', preview: 'import math' },
      { name: 'name', type: 'str', preview: '"x"' },
    ])
  })

  it('describes plain, async and schema-declared functions as Python signatures', () => {
    const backend = createMontyBackend()
    expect(
      backend.describeExternalFunctions({
        log: (_message: string) => undefined,
        fetch_page: async (_url: string) => '',
        area: {
          description: 'Area of a rectangle.',
          parameters: z.object({ w: z.number().int(), h: z.number().optional() }),
          returns: 'float',
          execute: () => 1,
        },
      }),
    ).toEqual([
      'def log(*args: Any, **kwargs: Any) -> Any',
      'async def fetch_page(*args: Any, **kwargs: Any) -> Any',
      'def area(w: int, h: float | None = None) -> float  # Area of a rectangle.',
    ])
  })
})

describe('schema-declared signatures from JSON Schema', () => {
  it('annotates literals and item types and keeps optional parameters optional', async () => {
    const backend = createMontyBackend()
    const find = {
      parameters: z.object({
        q: z.string().optional(),
        tags: z.array(z.string()).optional(),
        mode: z.enum(['fast', 'exact']),
      }),
      execute: ({ mode, q }: { mode: string; q?: string }) => `${mode}:${q ?? '-'}`,
    }
    expect(backend.describeExternalFunctions({ find })).toEqual([
      "def find(mode: Literal['fast', 'exact'], q: str | None = None, tags: list[str] | None = None) -> Any",
    ])
    const run = await backend.run("find(mode='fast')", { typeCheck: true, externalFunctions: { find } })
    expect(run.result).toBe('fast:-')
    await expect(
      backend.run("find(mode='slow')", { typeCheck: true, externalFunctions: { find } }),
    ).rejects.toMatchObject({ code: 'PYTHON_TYPING' })
  })

  it('has no required parameter when the schema requires none', () => {
    const backend = createMontyBackend()
    const options = {
      parameters: z.object({ limit: z.number().int().optional(), cursor: z.string().optional() }),
      execute: () => [],
    }
    expect(backend.describeExternalFunctions({ options })).toEqual([
      'def options(limit: int | None = None, cursor: str | None = None) -> Any',
    ])
  })
})

describe('runs execute one at a time in call order', () => {
  it('queues concurrent runs', async () => {
    const backend = createMontyBackend()
    const runs = [backend.run('x = 1'), backend.run('x += 1'), backend.run('x * 10')]
    expect((await Promise.all(runs)).map((r) => r.result)).toEqual([null, null, 20])
  })
})

describe("the registry's built-in name", () => {
  it("resolves 'monty' to this package's montyBackend()", async () => {
    const { PyFlueRegistry } = await import('@pyflue/core')
    const factory = await new PyFlueRegistry().resolvePythonBackend('monty')
    expect(factory.name).toBe('monty')
    const backend = await factory.createBackend({ sessionId: 'registry' })
    expect((await backend.run('6 * 7')).result).toBe(42)
    await backend.close()
  })
})

describe('bad arguments', () => {
  it('refuses input and function names Python cannot bind', async () => {
    const backend = createMontyBackend()
    for (const name of ['class', 'not-a-name', '__pf_result', '1x']) {
      await expect(backend.run('1', { inputs: { [name]: 1 } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
      await expect(backend.run('1', { externalFunctions: { [name]: () => 1 } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
    }
    expect(() => backend.registerDataclass(class {}, { fields: ['lambda'], name: 'Ok' })).toThrow(
      /identifiers/,
    )
  })

  it('refuses code that is not a string and an external that is neither a function nor a definition', async () => {
    const backend = createMontyBackend()
    await expect(backend.run(42 as unknown as string)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(
      backend.run('1', { externalFunctions: { f: { execute: () => 1 } as never } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
