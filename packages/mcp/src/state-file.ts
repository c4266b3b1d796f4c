// A session's Python state kept in one host file, for the CLI's `--state-file`: `loadState` reads
// it (none yet is a fresh session), `saveState` replaces it atomically (a temporary file in the
// same directory, then a rename), so a process killed mid-save leaves the previous state whole.
// The path is the operator's; model-written code never names it.
import { randomUUID } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import type { PyflueMcpServerOptions } from './server-options.js'

/** `loadState` and `saveState` over the file at `path`, saving after every run. */
export function stateFileHooks(
  path: string,
): Required<Pick<PyflueMcpServerOptions, 'loadState' | 'saveState' | 'saveStateAfter'>> {
  return {
    loadState: async () => {
      try {
        return new Uint8Array(await readFile(path))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
    },
    saveState: async (_sessionId, state) => {
      const temporary = `${path}.${randomUUID()}.tmp`
      try {
        await writeFile(temporary, state)
        await rename(temporary, path)
      } catch (error) {
        await rm(temporary, { force: true })
        throw error
      }
    },
    saveStateAfter: 'run',
  }
}
