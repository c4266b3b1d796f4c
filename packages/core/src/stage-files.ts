import { throwIfAborted } from './abort.js'
import { InvalidArgumentError } from './errors/pyflue-error.js'
import type { Sandbox } from './sandbox.js'

/** One file to copy: a path on both sides, or a `from` path and a `to` path. */
export type StageFileSpec = string | { from: string; to: string }

/** Options of `stageFiles`. */
export interface StageFilesOptions {
  /** Aborting stops before the next read or write; files already written stay. */
  signal?: AbortSignal
}

/** What `stageFiles` copied. Paths are as each sandbox resolved them. */
export interface StagedFile {
  from: string
  to: string
  bytes: number
}

/**
 * Copies named files from one sandbox to another, byte for byte: typically from a remote (E2B, Vercel)
 * sandbox into a local sandbox whose directory an in-process Python backend mounts, and back.
 *
 * Every source is read before anything is written, so a missing or unreadable source rejects
 * (with that sandbox's `SandboxFileError`) and writes nothing. Each side resolves its own paths
 * against its own `cwd` and applies its own policy, so neither sandbox can reach the other's
 * files beyond the ones named. Destination parents are created (`writeFile` guarantees it).
 * Directories are not copied: name the files.
 */
export async function stageFiles(
  from: Sandbox,
  to: Sandbox,
  files: readonly StageFileSpec[],
  options: StageFilesOptions = {},
): Promise<StagedFile[]> {
  if (!Array.isArray(files)) throw new InvalidArgumentError('files', 'stageFiles expects an array of paths.')
  const pairs = files.map((spec) => {
    if (typeof spec === 'string' && spec !== '') return { from: spec, to: spec }
    if (
      typeof spec === 'object' &&
      spec !== null &&
      typeof spec.from === 'string' &&
      typeof spec.to === 'string' &&
      spec.from !== '' &&
      spec.to !== ''
    ) {
      return { from: spec.from, to: spec.to }
    }
    throw new InvalidArgumentError(
      'files',
      `stageFiles expects non-empty paths or { from, to } pairs: got ${JSON.stringify(spec)}`,
    )
  })
  const contents: Uint8Array[] = []
  for (const pair of pairs) {
    throwIfAborted(options.signal)
    contents.push(await from.readFileBuffer(pair.from))
  }
  const staged: StagedFile[] = []
  for (const [index, pair] of pairs.entries()) {
    throwIfAborted(options.signal)
    const content = contents[index]!
    await to.writeFile(pair.to, content)
    staged.push({ from: from.resolvePath(pair.from), to: to.resolvePath(pair.to), bytes: content.byteLength })
  }
  return staged
}
