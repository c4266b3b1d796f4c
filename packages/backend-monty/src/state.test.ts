import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { STATE_FORMAT_VERSION, STATE_MAGIC } from './state-format.js'
import { tuple } from './value-conversion.js'

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

const SETUP = [
  'value = 37',
  'import math\ndef area(r):\n    return math.floor(math.pi * r * r * 100)',
  'scale = lambda v: v * factor\nfactor = 3',
  'data = {"ints": [1, 2, 2**70], "nested": {"t": (1, "a"), "s": {1, 2}}, "b": b"\\x00\\xff", "nan": float("nan"), "inf": float("-inf"), 5: "five"}',
  'import datetime\nwhen = datetime.date(2024, 2, 29)',
]

describe('dumpState / loadState', () => {
  it('starts with the magic header and the format version', async () => {
    const backend = createMontyBackend()
    await backend.run('x = 1')
    const bytes = await backend.dumpState()
    expect([...bytes.subarray(0, 8)]).toEqual([...STATE_MAGIC])
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint16(8)).toBe(STATE_FORMAT_VERSION)
  })

  it('round-trips every value of the table exactly, in another session', async () => {
    const backend = createMontyBackend()
    backend.registerDataclass(Point, { fields: ['x', 'y'] })
    for (const code of SETUP) await backend.run(code)
    await backend.run('p = pt', { inputs: { pt: new Point(1, 2) } })
    const bytes = await backend.dumpState()
    const other = createMontyBackend()
    other.registerDataclass(Point, { fields: ['x', 'y'] })
    await other.loadState(bytes)
    // The loaded state dumps to the same bytes.
    expect(await other.dumpState()).toEqual(bytes)
    const data = (await other.run('data')).result as Record<string, unknown>
    expect(data).toEqual(
      new Map<unknown, unknown>([
        ['ints', [1, 2, 2n ** 70n]],
        ['nested', { t: tuple(1, 'a'), s: new Set([1, 2]) }],
        ['b', new Uint8Array([0, 255])],
        ['nan', Number.NaN],
        ['inf', Number.NEGATIVE_INFINITY],
        [5, 'five'],
      ]),
    )
    expect((await other.run('[value, area(1), scale(2), when.year, p]')).result).toEqual([
      37,
      314,
      6,
      2024,
      new Point(1, 2),
    ])
  })

  it('continues exactly in another process', async () => {
    const backend = createMontyBackend()
    for (const code of SETUP) await backend.run(code)
    const bytes = await backend.dumpState()
    const child = spawnSync(
      process.execPath,
      [
        fileURLToPath(new URL('../test/load-state-child.mjs', import.meta.url)),
        'value',
        'area(2)',
        'factor = 10\nscale(2)',
        'data["ints"]',
      ],
      { input: Buffer.from(bytes).toString('base64'), encoding: 'utf8' },
    )
    expect(child.stderr).toBe('')
    expect(JSON.parse(child.stdout)).toEqual([37, 1256, 20, [1, 2, `${2n ** 70n}n`]])
  })

  it('loading replaces the whole namespace', async () => {
    const backend = createMontyBackend()
    await backend.run('value = 37')
    const state = await backend.dumpState()
    await backend.run('value = 0\nother = 1')
    await backend.loadState(state)
    expect((await backend.run('value')).result).toBe(37)
    await expect(backend.run('other')).rejects.toMatchObject({ excType: 'NameError' })
  })

  const refusals: [string, (bytes: Uint8Array) => Uint8Array, string][] = [
    ['foreign bytes', () => new TextEncoder().encode('{"json": true}'), 'magic'],
    ['empty bytes', () => new Uint8Array(0), 'magic'],
    ['a truncated header', (b) => b.subarray(0, 12), 'truncated'],
    ['a truncated payload', (b) => b.subarray(0, b.length - 3), 'truncated'],
    [
      'a flipped payload byte',
      (b) => {
        const copy = new Uint8Array(b)
        copy[copy.length - 2] = copy[copy.length - 2]! ^ 0xff
        return copy
      },
      'corrupt',
    ],
    [
      'an unknown version',
      (b) => {
        const copy = new Uint8Array(b)
        copy[9] = 99
        return copy
      },
      'version',
    ],
    ['trailing garbage', (b) => new Uint8Array([...b, 1, 2, 3]), 'corrupt'],
  ]
  for (const [name, mangle, reason] of refusals) {
    it(`refuses ${name} with StateFormatError and leaves the session unchanged`, async () => {
      const backend = createMontyBackend()
      await backend.run('value = 37')
      const bytes = await backend.dumpState()
      await backend.run('value = 1')
      await expect(backend.loadState(mangle(bytes))).rejects.toMatchObject({ code: 'STATE_FORMAT', reason })
      expect((await backend.run('value')).result).toBe(1)
    })
  }
})

/**
 * A session dumped by format version 1 (before issue 12): `nums = [1, 2.5, 'a', -0.0]`,
 * `pair = (1, 'b')`, `table = {1: 'x', 'k': [True, None]}`, `blob = b'\x00\x01'`, `big = 2**70`,
 * `def double(v)` and `import math`.
 */
const VERSION_1_STATE =
  'UFlGTE1OVFkAAQAAAlswfUgiCwAAAAQAAAAEa2luZAUAAAAUcHlmbHVlLW1vbnR5LXNlc3Npb24AAAAEZGF0YQgAAAAFBQAA' +
  'AARudW1zBgAAAAQDP/AAAAAAAAADQAQAAAAAAAAFAAAAAWEDgAAAAAAAAAAFAAAABHBhaXIHAAAAAgM/8AAAAAAAAAUAAAAB' +
  'YgUAAAAFdGFibGUIAAAAAgM/8AAAAAAAAAUAAAABeAUAAAABawYAAAACAgAFAAAABGJsb2IKAAAAAgABBQAAAANiaWcEAAAA' +
  'FjExODA1OTE2MjA3MTc0MTEzMDM0MjQAAAALZGVmaW5pdGlvbnMGAAAAAgsAAAAIAAAABG5hbWUFAAAABmRvdWJsZQAAAARr' +
  'aW5kBQAAAANkZWYAAAAGc291cmNlBQAAACBkZWYgZG91YmxlKHYpOgogICAgcmV0dXJuIHYgKiAyCgAAAARsaW5lA0AYAAAA' +
  'AAAAAAAABXJlYWRzBgAAAAEFAAAAAXYAAAAHZ2xvYmFscwYAAAAAAAAACnNjcmlwdE5hbWUFAAAACTxzbmlwcGV0PgAAAANz' +
  'ZXEDAAAAAAAAAAALAAAACAAAAARuYW1lBQAAAARtYXRoAAAABGtpbmQFAAAABmltcG9ydAAAAAZzb3VyY2UFAAAAC2ltcG9y' +
  'dCBtYXRoAAAABGxpbmUDQCAAAAAAAAAAAAAFcmVhZHMGAAAAAAAAAAdnbG9iYWxzBgAAAAAAAAAKc2NyaXB0TmFtZQUAAAAJ' +
  'PHNuaXBwZXQ+AAAAA3NlcQM/8AAAAAAAAAAAAAduZXh0U2VxA0AAAAAAAAAA'

describe('state format versions', () => {
  it('writes version 3 and still reads a saved version 1 state', async () => {
    const bytes = new Uint8Array(Buffer.from(VERSION_1_STATE, 'base64'))
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint16(8)).toBe(1)
    expect(STATE_FORMAT_VERSION).toBe(3)
    const backend = createMontyBackend()
    await backend.loadState(bytes)
    expect(
      (await backend.run('(nums, repr(nums[3]), pair, table, blob, big, double(21), math.floor(2.5))'))
        .result,
    ).toEqual(
      tuple(
        [1, 2.5, 'a', -0],
        '-0.0',
        tuple(1, 'b'),
        new Map<unknown, unknown>([
          [1, 'x'],
          ['k', [true, null]],
        ]),
        new Uint8Array([0, 1]),
        2n ** 70n,
        42,
        2,
      ),
    )
    const again = await backend.dumpState()
    expect(new DataView(again.buffer, again.byteOffset).getUint16(8)).toBe(STATE_FORMAT_VERSION)
    await backend.close()
  })

  it('keeps floats, frozensets, ranges, module aliases and shared objects across dumpState / loadState', async () => {
    const backend = createMontyBackend()
    await backend.run(
      'import math\nm = math\nx = 2.0\nz = -0.0\nf = frozenset([1.0])\nr = range(1, 9, 2)\na = [1.0]\nb = a\nd = {"k": a, 3.0: (a, 4.0)}',
    )
    const other = createMontyBackend()
    await other.loadState(await backend.dumpState())
    await other.run('b.append(5)')
    expect(
      (
        await other.run(
          '(repr(x), repr(z), repr(f), list(r), m.floor(1.5), repr(a), d["k"] is a, d[3.0][0] is a, repr(d[3.0]))',
        )
      ).result,
    ).toEqual(
      tuple('2.0', '-0.0', 'frozenset({1.0})', [1, 3, 5, 7], 1, '[1.0, 5]', true, true, '([1.0, 5], 4.0)'),
    )
    await backend.close()
    await other.close()
  })
})
