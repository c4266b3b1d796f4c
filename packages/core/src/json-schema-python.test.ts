import { describe, expect, it } from 'vitest'
import { parameterOrder, pythonSignature, pythonType } from './json-schema-python.js'

describe('pythonType', () => {
  it('maps JSON Schema to Python annotations', () => {
    expect(pythonType({ type: 'integer' })).toBe('int')
    expect(pythonType({ type: ['string', 'null'] })).toBe('str | None')
    expect(pythonType({ type: 'array', items: { type: 'number' } })).toBe('list[float]')
    expect(pythonType({ type: 'object', additionalProperties: { type: 'boolean' } })).toBe('dict[str, bool]')
    expect(pythonType({ enum: ['a', 1, null] })).toBe("Literal['a', 1, None]")
    expect(pythonType({ anyOf: [{ type: 'string' }, { type: 'integer' }] })).toBe('str | int')
    expect(pythonType({ anyOf: [{ type: 'string' }, {}] })).toBe('Any')
    expect(pythonType(undefined)).toBe('Any')
  })
})

describe('pythonSignature', () => {
  it('puts required parameters first and gives optional ones a None default', () => {
    const schema = {
      type: 'object',
      properties: {
        limit: { type: 'integer' },
        query: { type: 'string' },
        tag: { type: ['string', 'null'] },
      },
      required: ['query'],
    }
    expect(parameterOrder(schema)).toEqual(['query', 'limit', 'tag'])
    expect(pythonSignature('search', schema, { type: 'object' })).toBe(
      'def search(query: str, limit: int | None = None, tag: str | None = None) -> dict[str, Any]',
    )
  })
})

describe('a schema without required', () => {
  it('makes every parameter optional, as JSON Schema does', () => {
    const schema = { type: 'object', properties: { limit: { type: 'integer' }, cursor: { type: 'string' } } }
    expect(parameterOrder(schema)).toEqual(['limit', 'cursor'])
    expect(pythonSignature('page', schema)).toBe(
      'def page(limit: int | None = None, cursor: str | None = None) -> Any',
    )
  })
})
