/** The pause envelope: what it writes reads back, and every damaged, foreign or short byte string is refused. */
import { describe, expect, it } from 'vitest'
import { PauseFormatError } from './errors/pause-errors.js'
import { decodePauseEnvelope, encodePauseEnvelope, PAUSE_MAGIC, type PauseHeader } from './python-pause.js'

const header: PauseHeader = {
  id: 'p-1',
  backend: 'test',
  engineVersion: 'engine 1',
  stateVersion: 'lineage:3',
  createdAt: 1_764_000_000_000,
  expiresAt: 1_764_000_360_000,
  functionName: 'refund',
  line: 4,
  codeAround: '  3 | for order in orders:\n> 4 |     refund(order)',
  stdout: 'checking 3 orders\n',
  runningMs: 1.5,
}
const payload = new Uint8Array([1, 2, 3, 250, 0, 7])

function refusal(bytes: Uint8Array): PauseFormatError {
  try {
    decodePauseEnvelope(bytes)
  } catch (error) {
    expect(error).toBeInstanceOf(PauseFormatError)
    return error as PauseFormatError
  }
  throw new Error('the bytes were accepted')
}

describe('pause envelope', () => {
  it('reads back the header and the payload it wrote, starting with the magic', () => {
    const bytes = encodePauseEnvelope(header, payload)
    expect([...bytes.subarray(0, 8)]).toEqual([...PAUSE_MAGIC])
    const read = decodePauseEnvelope(bytes)
    expect(read.header).toEqual(header)
    expect([...read.payload]).toEqual([...payload])
  })

  it('refuses foreign bytes, another envelope version, truncation and trailing bytes', () => {
    const bytes = encodePauseEnvelope(header, payload)
    expect(refusal(new TextEncoder().encode('PYFLMNTY state, not a pause')).reason).toBe('magic')
    expect(refusal(new Uint8Array()).reason).toBe('magic')
    const newer = bytes.slice()
    newer[9] = 2
    expect(refusal(newer).reason).toBe('version')
    for (const cut of [9, 14, 20, bytes.length - 1])
      expect(refusal(bytes.slice(0, cut)).reason).toBe('truncated')
    const longer = new Uint8Array(bytes.length + 1)
    longer.set(bytes)
    expect(refusal(longer).reason).toBe('corrupt')
    expect(() => decodePauseEnvelope('bytes' as unknown as Uint8Array)).toThrow(PauseFormatError)
  })

  it('refuses every single changed byte', () => {
    const bytes = encodePauseEnvelope(header, payload)
    for (let at = 0; at < bytes.length; at++) {
      for (const flip of [0x01, 0x80]) {
        const damaged = bytes.slice()
        damaged[at] = damaged[at]! ^ flip
        expect(refusal(damaged).reason, `byte ${at}`).toMatch(/^(magic|version|truncated|corrupt)$/)
      }
    }
  })

  it('refuses a well-framed envelope whose header is not a pause header', () => {
    const bad = encodePauseEnvelope({ id: 7 } as unknown as PauseHeader, payload)
    expect(refusal(bad).message).toMatch(/header is incomplete/)
  })
})
