import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { InvalidArgumentError, StateFormatError } from '@pyflue/core'
import { SESSION_RECORD_VERSION, type SessionRecord, type SessionStore } from './session-store.js'

const FORMAT = 'pyflue-session'

/**
 * A session store that keeps one JSON file per session in `directory` (created on first save),
 * so a session continues in another process: its messages and its Python state bytes
 * (base64 in the file). Each save writes a temporary file and renames it over the old one, so a
 * crash mid-save leaves the previous record intact.
 */
export class FileSessionStore implements SessionStore {
  /** The absolute directory the records live in. */
  readonly directory: string

  constructor(directory: string) {
    if (typeof directory !== 'string' || directory === '') {
      throw new InvalidArgumentError('directory', 'FileSessionStore needs a directory path.')
    }
    this.directory = resolve(directory)
  }

  /** The file that holds the record of `id`. The id is percent-encoded, so any id stays inside `directory`. */
  pathFor(id: string): string {
    return join(this.directory, `${encodeSessionId(id)}.json`)
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    let text: string
    try {
      text = await readFile(this.pathFor(id), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    let data: Record<string, unknown>
    try {
      data = JSON.parse(text) as Record<string, unknown>
    } catch (error) {
      throw new StateFormatError('corrupt', `The session file ${this.pathFor(id)} is not valid JSON.`, {
        cause: error,
      })
    }
    if (data.format !== FORMAT) {
      throw new StateFormatError('magic', `The file ${this.pathFor(id)} is not a PyFlue session file.`)
    }
    if (data.version !== SESSION_RECORD_VERSION) {
      throw new StateFormatError(
        'version',
        `The session file ${this.pathFor(id)} has version ${String(data.version)}; this store reads version ${SESSION_RECORD_VERSION}.`,
      )
    }
    if (!Array.isArray(data.messages)) {
      throw new StateFormatError('corrupt', `The session file ${this.pathFor(id)} has no message list.`)
    }
    return {
      version: SESSION_RECORD_VERSION,
      messages: data.messages as SessionRecord['messages'],
      ...(typeof data.pythonState === 'string'
        ? { pythonState: new Uint8Array(Buffer.from(data.pythonState, 'base64')) }
        : {}),
      ...(typeof data.pythonBackend === 'string' ? { pythonBackend: data.pythonBackend } : {}),
      updatedAt: typeof data.updatedAt === 'string' ? data.updatedAt : new Date(0).toISOString(),
    }
  }

  async save(id: string, record: SessionRecord): Promise<void> {
    const file = this.pathFor(id)
    const body = JSON.stringify({
      format: FORMAT,
      version: SESSION_RECORD_VERSION,
      sessionId: id,
      updatedAt: record.updatedAt,
      messages: record.messages,
      ...(record.pythonState ? { pythonState: Buffer.from(record.pythonState).toString('base64') } : {}),
      ...(record.pythonBackend ? { pythonBackend: record.pythonBackend } : {}),
    })
    await mkdir(this.directory, { recursive: true })
    const temporary = `${file}.${randomUUID()}.tmp`
    await writeFile(temporary, body, 'utf8')
    await rename(temporary, file)
  }

  async delete(id: string): Promise<void> {
    await rm(this.pathFor(id), { force: true })
  }
}

/**
 * Percent-encodes everything but letters, digits, `-` and `_`, so an id is always one safe file
 * name; a long id keeps its first part and gains a hash, to stay within file name limits.
 */
function encodeSessionId(id: string): string {
  const encoded = percentEncode(id)
  if (encoded.length <= 180) return encoded
  return `${encoded.slice(0, 100)}~${createHash('sha256').update(id).digest('hex').slice(0, 40)}`
}

function percentEncode(id: string): string {
  return [...Buffer.from(id, 'utf8')]
    .map((byte) => {
      const ch = String.fromCharCode(byte)
      return /[A-Za-z0-9_-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
    })
    .join('')
}
