import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ResultValidationError } from './errors/configuration-errors.js'
import { isStandardSchema } from './standard-schema.js'
import { validateWithSchema } from './validate-result.js'

describe('validateWithSchema', () => {
  it('returns the output of a zod schema, transforms included', async () => {
    const Metrics = z.object({ total: z.number(), label: z.string().transform((s) => s.toUpperCase()) })
    const value = await validateWithSchema(Metrics, { total: 6, label: 'ok' })
    expect(value).toEqual({ total: 6, label: 'OK' })
  })

  it('returns the output of a valibot schema', async () => {
    const Schema = v.object({ count: v.number() })
    expect(await validateWithSchema(Schema, { count: 3 })).toEqual({ count: 3 })
  })

  it('awaits asynchronous validators', async () => {
    const Schema = z.number().refine(async (n) => n > 0, 'must be positive')
    expect(await validateWithSchema(Schema, 5)).toBe(5)
    await expect(validateWithSchema(Schema, -1)).rejects.toBeInstanceOf(ResultValidationError)
  })

  it('rejects with ResultValidationError holding the issues and the value', async () => {
    const Schema = z.object({ total: z.number() })
    const error = await validateWithSchema(Schema, { total: 'six' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ResultValidationError)
    const failure = error as ResultValidationError
    expect(failure.code).toBe('RESULT_VALIDATION')
    expect(failure.value).toEqual({ total: 'six' })
    expect(failure.issues[0]!.path).toEqual(['total'])
    expect(failure.message).toContain('total:')
  })

  it('refuses something that is not a Standard Schema with InvalidArgumentError', async () => {
    await expect(validateWithSchema({} as never, 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('recognises Standard Schemas from different libraries', () => {
    expect(isStandardSchema(z.string())).toBe(true)
    expect(isStandardSchema(v.string())).toBe(true)
    expect(isStandardSchema({ '~standard': { version: 2, validate() {} } })).toBe(false)
    expect(isStandardSchema(null)).toBe(false)
  })
})
