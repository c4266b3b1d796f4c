import { describe, expect, it } from 'vitest'
import { createAbortError, isAbortError, raceAbort, throwIfAborted } from './abort.js'

describe('abort helpers', () => {
  it('createAbortError makes an AbortError DOMException carrying the reason as cause', () => {
    const controller = new AbortController()
    const reason = new Error('why')
    controller.abort(reason)
    const error = createAbortError(controller.signal)
    expect(error).toBeInstanceOf(DOMException)
    expect(error.name).toBe('AbortError')
    expect((error as { cause?: unknown }).cause).toBe(reason)
    expect(isAbortError(error)).toBe(true)
    expect(() => throwIfAborted(controller.signal)).toThrow(DOMException)
  })

  it('raceAbort releases the caller at the abort without waiting for the promise', async () => {
    const controller = new AbortController()
    let settle!: (value: string) => void
    const slow = new Promise<string>((resolve) => {
      settle = resolve
    })
    const raced = raceAbort(slow, controller.signal)
    controller.abort()
    await expect(raced).rejects.toMatchObject({ name: 'AbortError' })
    settle('late')
    await expect(slow).resolves.toBe('late')
  })

  it('raceAbort passes a settled value through when nothing aborts', async () => {
    await expect(raceAbort(Promise.resolve(3), new AbortController().signal)).resolves.toBe(3)
    await expect(raceAbort(Promise.reject(new Error('x')), undefined)).rejects.toThrow('x')
  })
})
