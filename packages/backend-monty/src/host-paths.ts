/**
 * Errors name sandbox paths, never host paths. Python itself only ever sees sandbox paths, but
 * text from the host side can carry a mount's host directory: an external function's error
 * (`ENOENT: …, open '/srv/ws/x'`) raised into Python, a mount the host cannot open, a pool
 * process's own failure. Every such text passes through a redactor that replaces each mount's
 * host directory (as given and as resolved) by its sandbox path, longest first.
 */
import { realpathSync } from 'node:fs'
import type { HostDirectoryMount } from '@pyflue/core'

/** Replaces the host directories of `mounts` in a text by their sandbox paths. */
export type Redactor = (text: string) => string

export function hostPathRedactor(mounts: readonly HostDirectoryMount[]): Redactor {
  let pairs: [string, string][] | undefined
  const build = () => {
    const found = new Map<string, string>()
    for (const mount of mounts) {
      const sandbox = mount.sandboxPath.replace(/\/+$/, '') || '/'
      const forms = [mount.hostDir]
      try {
        forms.push(realpathSync(mount.hostDir))
      } catch {
        // Missing or unreadable: only the form as given can appear.
      }
      for (const form of forms) {
        const host = form.replace(/\/+$/, '')
        if (host.length > 1) found.set(host, sandbox)
      }
    }
    return [...found].sort((a, b) => b[0].length - a[0].length)
  }
  return (text) => {
    if (mounts.length === 0 || typeof text !== 'string') return text
    pairs ??= build()
    let out = text
    for (const [host, sandbox] of pairs) if (out.includes(host)) out = out.split(host).join(sandbox)
    return out
  }
}

const TEXT_FIELDS = ['message', 'stack', 'pythonMessage', 'diagnostics'] as const

/** Redacts an error's texts in place (its cause chain too) and returns it. */
export function redactError(error: unknown, redact: Redactor, depth = 0): unknown {
  if (typeof error !== 'object' || error === null || depth > 4) return error
  const record = error as Record<string, unknown>
  for (const field of TEXT_FIELDS) {
    const value = record[field]
    if (typeof value !== 'string') continue
    const clean = redact(value)
    if (clean !== value) {
      const enumerable = Object.getOwnPropertyDescriptor(error, field)?.enumerable ?? false
      Object.defineProperty(error, field, { value: clean, writable: true, configurable: true, enumerable })
    }
  }
  const traceback = record.traceback
  if (Array.isArray(traceback)) {
    for (const frame of traceback) {
      if (frame && typeof frame === 'object' && typeof frame.source === 'string') {
        const clean = redact(frame.source)
        if (clean !== frame.source) {
          Object.defineProperty(frame, 'source', {
            value: clean,
            writable: true,
            configurable: true,
            enumerable: true,
          })
        }
      }
    }
  }
  if ('cause' in record) redactError(record.cause, redact, depth + 1)
  return error
}
