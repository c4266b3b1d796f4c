/** Small printing helpers so the demo's output reads as a transcript. */

export function heading(title: string): void {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(0, 72 - title.length))}`)
}

export function show(label: string, value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value, jsonReplacer)
  console.log(`${label}: ${text}`)
}

export function block(label: string, text: string, prefix = '  │ '): void {
  console.log(`${label}:`)
  for (const line of text.replace(/\n$/, '').split('\n')) console.log(`${prefix}${line}`)
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message.replace(/\n+/g, ' ')}`
  }
  return String(error)
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`
  if (value instanceof Map) return Object.fromEntries(value)
  if (value instanceof Uint8Array) return `<${value.length} bytes>`
  return value
}
