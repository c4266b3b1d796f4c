// Security: the text run_code returns is truncated before it is built, so a huge result cannot
// exhaust the host's memory or freeze its event loop (issue 10). The 200 MB case runs in a child
// process with a small heap, so an out-of-memory crash fails the test instead of the runner.
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { DEFAULT_MAX_OUTPUT_CHARS, formatRunSuccess, pythonRepr, REPR_TRUNCATION_MARKER } from '@pyflue/core'
import { describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))

describe('run_code result text with a 200 MB value', () => {
  it('is cut to the output budget in a process with a 700 MB heap', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--max-old-space-size=700', '--import', 'tsx', join(here, '..', 'test', 'huge-result.child.ts')],
      { cwd: join(here, '..'), timeout: 120_000, maxBuffer: 1_000_000 },
    )
    const report = JSON.parse(stdout) as { lengths: number[]; heads: string[]; heapUsedMb: number }
    expect(report.lengths).toHaveLength(5)
    for (const length of report.lengths) expect(length).toBeLessThanOrEqual(DEFAULT_MAX_OUTPUT_CHARS + 100)
    expect(report.heads[0]).toBe("result: 'xxxxxxxxxxxxxxx")
    expect(report.heads[2]).toBe("result: b'xxxxxxxxxxxxxx")
    expect(report.heads[3]).toBe('stdout:\nxxxxxxxxxxxxxxxx')
    expect(report.heads[4]).toBe('stdout:\nxxxxxxxxxxxxxxxx')
    // The inputs themselves take 200 MB (string) + 200 MB (bytes) outside the V8 heap's
    // old space accounting for strings only once; building the repr adds nothing near that.
    expect(report.heapUsedMb).toBeLessThan(650)
  })
})

/** An array that reports `length` items and counts how many of them are read. */
function countingArray(length: number, item: unknown): { array: unknown[]; reads: () => number } {
  let reads = 0
  const array = new Proxy([] as unknown[], {
    get(target, key, receiver) {
      if (key === 'length') return length
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        reads++
        return item
      }
      return Reflect.get(target, key, receiver)
    },
  })
  return { array, reads: () => reads }
}

describe('pythonRepr under a budget', () => {
  it('stops at maxChars and marks the cut', () => {
    const text = pythonRepr('y'.repeat(20_000_000), { maxChars: 100 })
    expect(text).toBe(`'${'y'.repeat(99)}${REPR_TRUNCATION_MARKER}`)
    expect(pythonRepr([1, 2, 3], { maxChars: 100 })).toBe('[1, 2, 3]')
    expect(pythonRepr([1, 2, 3], { maxChars: 5 })).toBe(`[1, 2${REPR_TRUNCATION_MARKER}`)
  })

  it('reads no more items of a list reporting 2**32-1 of them than the budget allows', () => {
    const { array, reads } = countingArray(2 ** 32 - 1, 7)
    const text = pythonRepr(array, { maxChars: 1000 })
    expect(text.startsWith('[7, 7, 7')).toBe(true)
    expect(text.endsWith(REPR_TRUNCATION_MARKER)).toBe(true)
    expect(text.length).toBe(1000 + REPR_TRUNCATION_MARKER.length)
    expect(reads()).toBeLessThanOrEqual(1000)
  })

  it('visits a value sharing references (8**8 paths) only as far as the budget goes', () => {
    const { array: leaf, reads } = countingArray(8, 1)
    let value: unknown = leaf
    for (let level = 0; level < 7; level++) value = Array.from({ length: 8 }, () => value)
    const text = pythonRepr(value, { maxChars: 2000 })
    expect(text.startsWith('[[[[[[[[1, 1, 1, 1, 1, 1, 1, 1], [1, 1')).toBe(true)
    expect(text.length).toBe(2000 + REPR_TRUNCATION_MARKER.length)
    // 8**8 = 16 777 216 leaf items along all paths; every one shown costs at least three characters.
    expect(reads()).toBeLessThanOrEqual(2000 / 3)
  })

  it('writes deeper nesting than eight levels as ...', () => {
    let deep: unknown = 'bottom'
    for (let level = 0; level < 100_000; level++) deep = [deep]
    expect(pythonRepr(deep)).toBe('[[[[[[[[[...]]]]]]]]]')
    const cycle: unknown[] = []
    cycle.push(cycle)
    expect(pythonRepr(cycle)).toBe('[[[[[[[[[...]]]]]]]]]')
  })

  it('cuts maps, sets, objects, dataclasses, bytes and big ints too', () => {
    const many = new Map(Array.from({ length: 10_000 }, (_, i) => [i, 'v'] as const))
    expect(pythonRepr(many, { maxChars: 20 })).toBe(`{0: 'v', 1: 'v', 2: ${REPR_TRUNCATION_MARKER}`)
    expect(pythonRepr(new Set(many.keys()), { maxChars: 10 })).toBe(`{0, 1, 2, ${REPR_TRUNCATION_MARKER}`)
    const record = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]))
    expect(pythonRepr(record, { maxChars: 16 })).toBe(`{'k0': 0, 'k1': ${REPR_TRUNCATION_MARKER}`)
    const row = {
      __monty_type__: 'Dataclass',
      name: 'Row',
      fieldNames: ['a', 'b'],
      fields: { a: 'z'.repeat(1_000_000), b: 2 },
    }
    expect(pythonRepr(row, { maxChars: 12 })).toBe(`Row(a='zzzzz${REPR_TRUNCATION_MARKER}`)
    expect(pythonRepr(new Uint8Array(50_000_000), { maxChars: 10 })).toBe(
      `b'\\x00\\x00${REPR_TRUNCATION_MARKER}`,
    )
    expect(pythonRepr(10n ** 100_000n, { maxChars: 100 })).toBe('<int of about 100001 digits>')
    expect(pythonRepr(10n ** 30n, { maxChars: 100 })).toBe('1000000000000000000000000000000')
  })

  it('keeps formatRunSuccess within maxChars for a result far bigger than it', () => {
    const text = formatRunSuccess(
      {
        result: { rows: Array.from({ length: 100_000 }, (_, i) => ({ i })) },
        stdout: '',
        backend: 'monty',
        durationMs: 1,
        metadata: {},
      },
      500,
    )
    expect(text.startsWith("result: {'rows': [{'i': 0}, {'i': 1}")).toBe(true)
    expect(text.length).toBeLessThanOrEqual(500 + 60)
  })
})
