import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PackageNotInstalledError } from './errors/configuration-errors.js'

/** Options of `importOptionalPackage`. */
export interface ImportOptionalPackageOptions {
  /**
   * Imports a specifier from the calling package's location, e.g. `(s) => import(s)` written in
   * that package, so its own (optional peer) dependencies resolve. Defaults to core's location.
   */
  importer?: (specifier: string) => Promise<unknown>
}

/**
 * Imports an optional package by name, or throws `PackageNotInstalledError` naming the install
 * command. It looks from the caller's location first (`options.importer`, by default
 * `@pyflue/core`'s own: npm's hoisted layout), then from the application's working directory
 * (pnpm's strict layout, where the application installed the package but the caller cannot
 * see it). An error raised while the package itself loads is passed through unchanged.
 */
export async function importOptionalPackage(
  packageName: string,
  what: string,
  options: ImportOptionalPackageOptions = {},
): Promise<Record<string, unknown>> {
  const importer = options.importer ?? ((specifier: string) => import(/* @vite-ignore */ specifier))
  try {
    return (await importer(packageName)) as Record<string, unknown>
  } catch (error) {
    if (!isMissing(error, packageName)) throw error
  }
  let resolved: string
  try {
    resolved = createRequire(join(process.cwd(), 'package.json')).resolve(packageName)
  } catch (error) {
    if (!isMissing(error, packageName)) throw error
    throw new PackageNotInstalledError({ packageName, what, cause: error })
  }
  return (await import(/* @vite-ignore */ pathToFileURL(resolved).href)) as Record<string, unknown>
}

function isMissing(error: unknown, packageName: string): boolean {
  const code = (error as { code?: unknown } | null)?.code
  const message = String((error as { message?: unknown } | null)?.message ?? '')
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(packageName)
}
