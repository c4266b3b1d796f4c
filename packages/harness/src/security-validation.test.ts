// Security: a result schema whose validate() never settles does not wedge the session; the
// run's deadline and its abort signal apply to the validation, with typed errors (issue 10).
import { ResourceLimitError, ResultValidationError, type StandardSchemaV1 } from '@pyflue/core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { init } from './init.js'

/** A Standard Schema whose validation never settles; counts how often it was asked. */
function neverSettling(): StandardSchemaV1<unknown, number> & { calls: number } {
  const schema = {
    calls: 0,
    '~standard': {
      version: 1 as const,
      vendor: 'test-never',
      validate: () => {
        schema.calls++
        return new Promise<never>(() => {})
      },
    },
  }
  return schema as never
}

describe('runPython result validation under the run deadline and signal', () => {
  it('a validation still pending at maxDurationSecs rejects with ResourceLimitError; the session keeps working', async () => {
    const agent = await init({ pythonBackend: 'monty' })
    try {
      const session = await agent.session('never-settles')
      const schema = neverSettling()
      const failure = await session
        .runPython('x = 41\nx', { result: schema, resourceLimits: { maxDurationSecs: 3 } })
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      expect(failure).toBeInstanceOf(ResourceLimitError)
      expect((failure as ResourceLimitError).limit).toBe('maxDurationSecs')
      expect(schema.calls).toBe(1)
      // The backend's run queue is free and the run's changes were kept.
      expect((await session.runPython('x + 1')).result).toBe(42)
      expect(await session.runPython('x + 2', { result: z.number() })).toBe(43)
    } finally {
      await agent.close()
    }
  })

  it('session.abort() and the run signal stop a pending validation with an AbortError', async () => {
    const agent = await init({ pythonBackend: 'monty', resourceLimits: { maxDurationSecs: 3_600 } })
    try {
      const session = await agent.session('abort-validation')
      const schema = neverSettling()
      const pending = session.runPython('y = 1\ny', { result: schema })
      const settled = pending.then(
        () => undefined,
        (error: unknown) => error,
      )
      while (schema.calls === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      session.abort()
      expect(((await settled) as { name?: string }).name).toBe('AbortError')

      const controller = new AbortController()
      const second = neverSettling()
      const viaSignal = session.runPython('y + 1', { result: second, signal: controller.signal }).then(
        () => undefined,
        (error: unknown) => error,
      )
      while (second.calls === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      controller.abort()
      expect(((await viaSignal) as { name?: string }).name).toBe('AbortError')
      expect((await session.runPython('y + 2')).result).toBe(3)
    } finally {
      await agent.close()
    }
  })

  it('a value that fails the schema is a ResultValidationError; a non-schema is refused before the run', async () => {
    const agent = await init({ pythonBackend: 'monty' })
    try {
      const session = await agent.session('fails-schema')
      await expect(session.runPython("z = 'text'\nz", { result: z.number() })).rejects.toBeInstanceOf(
        ResultValidationError,
      )
      expect((await session.runPython('z')).result).toBe('text')
      await expect(session.runPython('w = 1', { result: { parse: () => 1 } as never })).rejects.toMatchObject(
        { code: 'INVALID_ARGUMENT' },
      )
      await expect(session.runPython('w')).rejects.toMatchObject({ name: 'PythonRuntimeError' })
    } finally {
      await agent.close()
    }
  })
})
