/** JSON with byte arrays as `{ "$bytes": base64 }`, the form commits are stored in. */

export function encodeBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') }
  if (Array.isArray(value)) return value.map(encodeBytes)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeBytes(v)]))
  }
  return value
}

export function decodeBytes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeBytes)
  if (value && typeof value === 'object') {
    const bytes = (value as { $bytes?: unknown }).$bytes
    if (typeof bytes === 'string' && Object.keys(value).length === 1)
      return new Uint8Array(Buffer.from(bytes, 'base64'))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeBytes(v)]))
  }
  return value
}
