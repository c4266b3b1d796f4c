import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PackageNotInstalledError } from './errors/configuration-errors.js'

/**
 * Imports an optional package by name, or throws `PackageNotInstalledError` naming the install
 * command. It looks from `@pyflue/core`'s own location first (npm's hoisted layout, or pnpm
 * with the optional peer dependency satisfied), then from the application's working directory
 * (pnpm's strict layout, where the application installed the package but core cannot see it).
 * An error raised while the package itself loads is passed through unchanged.
 */
export async function importOptionalPackage(
  packageName: string,
  what: string,
): Promise<Record<string, unknown>> {
  try {
    return (await import(/* @vite-ignore */ packageName)) as Record<string, unknown>
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
