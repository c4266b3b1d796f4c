// Registers no-otel.hooks.mjs (for no-otel.child.ts).
import { register } from 'node:module'

register(new URL('./no-otel.hooks.mjs', import.meta.url))
