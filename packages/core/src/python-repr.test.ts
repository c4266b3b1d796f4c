import { describe, expect, it } from 'vitest'
import { pythonRepr } from './python-repr.js'

describe('pythonRepr', () => {
  it('renders scalars as Python does', () => {
    expect(pythonRepr(null)).toBe('None')
    expect(pythonRepr(undefined)).toBe('None')
    expect(pythonRepr(true)).toBe('True')
    expect(pythonRepr(false)).toBe('False')
    expect(pythonRepr(3)).toBe('3')
    expect(pythonRepr(2.5)).toBe('2.5')
    expect(pythonRepr(12345678901234567890n)).toBe('12345678901234567890')
    expect(pythonRepr(Number.NaN)).toBe('nan')
    expect(pythonRepr(Number.NEGATIVE_INFINITY)).toBe('-inf')
  })

  it('quotes strings like repr()', () => {
    expect(pythonRepr('hi')).toBe("'hi'")
    expect(pythonRepr("it's")).toBe('"it\'s"')
    expect(pythonRepr('a\nb\\')).toBe("'a\\nb\\\\'")
    expect(pythonRepr('both \' and "')).toBe("'both \\' and \"'")
  })

  it('renders containers, tuples, sets, bytes, dates and dataclasses', () => {
    const tuple = Object.assign([1, 'a'], { __tuple__: true })
    const single = Object.assign([1], { __tuple__: true })
    expect(pythonRepr([1, [2, null]])).toBe('[1, [2, None]]')
    expect(pythonRepr(tuple)).toBe("(1, 'a')")
    expect(pythonRepr(single)).toBe('(1,)')
    expect(
      pythonRepr(
        new Map<unknown, unknown>([
          ['k', 1],
          [2, true],
        ]),
      ),
    ).toBe("{'k': 1, 2: True}")
    expect(pythonRepr(new Set())).toBe('set()')
    expect(pythonRepr(new Set([1]))).toBe('{1}')
    expect(pythonRepr(Buffer.from('ab'))).toBe("b'ab'")
    expect(pythonRepr({ a: 1 })).toBe("{'a': 1}")
    expect(pythonRepr({ __monty_type__: 'Date', year: 2024, month: 1, day: 2 })).toBe(
      'datetime.date(2024, 1, 2)',
    )
    expect(
      pythonRepr({
        __monty_type__: 'Dataclass',
        name: 'Row',
        typeId: 1n,
        fieldNames: ['x', 'y'],
        fields: { x: 1, y: 'z' },
        frozen: false,
      }),
    ).toBe("Row(x=1, y='z')")
  })
})
