import { describe, expect, it } from 'vitest'
import { TRUNCATION_MARKER_PATTERN, truncateText } from './truncate-text.js'

describe('truncateText', () => {
  it('leaves short text alone', () => {
    expect(truncateText('abc', 100)).toBe('abc')
  })

  it('keeps the head and the tail and says how much was cut', () => {
    const text = `${'a'.repeat(500)}${'b'.repeat(500)}`
    const short = truncateText(text, 200)
    expect(short.length).toBeLessThanOrEqual(200 + 10)
    expect(short.startsWith('aaa')).toBe(true)
    expect(short.endsWith('bbb')).toBe(true)
    expect(short).toMatch(TRUNCATION_MARKER_PATTERN)
    const omitted = Number(/\[\.\.\. (\d+) characters/.exec(short)![1])
    expect(omitted + short.replace(/\n\[\.\.\. \d+ characters truncated \.\.\.\]\n/, '').length).toBe(1000)
  })
})
