/**
 * The engine version a session records next to its Python state: the `@pydantic/monty` release
 * this backend runs on (`'@pydantic/monty 0.0.18'`). A store refuses a state saved by another
 * version, so a state is never misread by an engine that lays values out differently. Read once
 * from the installed package's manifest (its `exports` do not list `package.json`, so it is found
 * beside the resolved entry point).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

let cached: string | undefined

/** `'@pydantic/monty <version>'` of the installed engine. */
export function montyEngineVersion(): string {
  if (cached === undefined) {
    const entry = createRequire(import.meta.url).resolve('@pydantic/monty')
    const manifest = JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as {
      version?: unknown
    }
    cached = `@pydantic/monty ${typeof manifest.version === 'string' ? manifest.version : 'unknown'}`
  }
  return cached
}
