import { expect } from 'vitest'

/**
 * Awaits `promise`, expects it to reject with a `SandboxFileError` (duck-typed: `code`
 * `'SANDBOX_FILE'`) whose `errno` is `errno`, and returns the error.
 */
export async function expectRejectsWith(promise: Promise<unknown>, errno: string): Promise<unknown> {
  const error = await rejection(promise)
  expect(error).toMatchObject({ code: 'SANDBOX_FILE', errno })
  return error
}

/** Awaits `promise`, expects it to reject with a PyFlue error of `code`, and returns the error. */
export async function expectPyFlueError(
  promise: Promise<unknown>,
  code: string,
): Promise<Record<string, unknown>> {
  const error = await rejection(promise)
  expect(error).toMatchObject({ code })
  return error as Record<string, unknown>
}

/** Awaits `promise` and expects it to reject with an error named `AbortError`; returns it. */
export async function expectAbortError(promise: Promise<unknown>): Promise<unknown> {
  const error = await rejection(promise)
  expect((error as { name?: unknown }).name).toBe('AbortError')
  return error
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    const value = await promise
    throw new ExpectedRejection(value)
  } catch (error) {
    if (error instanceof ExpectedRejection) {
      expect.fail(`expected a rejection, but it resolved with ${safeString(error.value)}`)
    }
    return error
  }
}

class ExpectedRejection {
  constructor(readonly value: unknown) {}
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
