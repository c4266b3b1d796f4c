// Module hooks for no-otel.child.ts: the harness and core cannot resolve `@opentelemetry/*`, as in
// an application that did not install the optional peer. Others (the AI SDK) still can.
const OURS = [
  '/packages/harness/src/',
  '/packages/harness/dist/',
  '/packages/core/dist/',
  '/packages/core/src/',
]

export async function resolve(specifier, context, next) {
  const fromUs = OURS.some((part) => (context.parentURL ?? '').includes(part))
  const resolved = await next(specifier, context)
  if (fromUs && (specifier.startsWith('@opentelemetry/') || resolved.url.includes('/@opentelemetry/'))) {
    const error = new Error(`Cannot find package '@opentelemetry/api' imported from ${context.parentURL}`)
    error.code = 'ERR_MODULE_NOT_FOUND'
    throw error
  }
  return resolved
}
