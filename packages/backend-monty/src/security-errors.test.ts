/**
 * Errors name sandbox paths, never host paths: whatever fails — Python's own file errors on a
 * mount, an external function's host error (raised into Python, caught or not), a mount the
 * host cannot make — no text of the error (message, stack, Python message, traceback, cause)
 * holds the mount's host directory, as given or resolved. And a schema-declared function with
 * an async `execute` is awaited in Python like a plain async function.
 */
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PythonRuntimeError } from '@pyflue/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createMontyBackend } from './monty-backend.js'

let root: string
let host: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pyflue-host-paths-'))
  host = join(root, 'workspace')
  await mkdir(join(host, 'sub'), { recursive: true })
  await writeFile(join(host, 'a.txt'), 'a')
})
afterAll(() => rm(root, { recursive: true, force: true }))

/** Every text an error carries, its cause chain included. */
function textsOf(error: unknown, depth = 0): string {
  if (typeof error !== 'object' || error === null || depth > 4) return String(error)
  const e = error as Record<string, unknown> & { formatTraceback?: () => string }
  return [
    e.message,
    e.stack,
    e.pythonMessage,
    e.diagnostics,
    JSON.stringify(e.traceback ?? null),
    typeof e.formatTraceback === 'function' ? e.formatTraceback() : '',
    textsOf(e.cause, depth + 1),
  ].join('\n')
}

const readMissing = async () => {
  await readFile(join(host, 'missing.txt'))
}

const failures: { name: string; code: string; options?: Record<string, unknown>; hostDir?: () => string }[] =
  [
    { name: 'open() of a missing file', code: 'open("/workspace/missing.txt").read()' },
    {
      name: 'write under a missing directory',
      code: 'from pathlib import Path\nPath("/workspace/no/x").write_text("a")',
    },
    { name: 'mkdir over a file', code: 'from pathlib import Path\nPath("/workspace/a.txt").mkdir()' },
    { name: 'read of a directory', code: 'from pathlib import Path\nPath("/workspace/sub").read_text()' },
    {
      name: 'a path leaving the mount',
      code: 'from pathlib import Path\nPath("/workspace/../../etc/passwd").read_text()',
    },
    {
      name: 'over the write cap',
      code: 'from pathlib import Path\nPath("/workspace/big").write_text("x" * 5000)',
    },
    {
      name: 'a sync external throwing a host error',
      code: 'f()',
      options: { externalFunctions: { f: () => readMissingSync() } },
    },
    {
      name: 'an async external throwing a host error',
      code: 'await f()',
      options: { externalFunctions: { f: readMissing } },
    },
    {
      name: 'a host error caught in Python and returned',
      code: 'try:\n    f()\n    r = None\nexcept Exception as e:\n    r = str(e)\nraise ValueError(r)',
      options: { externalFunctions: { f: () => readMissingSync() } },
    },
    { name: 'a mount whose host directory is missing', code: '1', hostDir: () => join(root, 'missing-dir') },
    { name: 'a mount whose host directory is a file', code: '1', hostDir: () => join(host, 'a.txt') },
  ]

function readMissingSync(): never {
  const error = new Error(`ENOENT: no such file or directory, open '${join(host, 'missing.txt')}'`)
  throw Object.assign(error, { code: 'ENOENT', path: join(host, 'missing.txt') })
}

describe('no host path in any error text', () => {
  for (const execution of ['pool', 'in-thread-trusted-code-only'] as const) {
    for (const failure of failures) {
      it(`${execution}: ${failure.name}`, async () => {
        const hostDir = failure.hostDir?.() ?? host
        const backend = createMontyBackend({
          execution,
          mounts: [{ sandboxPath: '/workspace', hostDir, mode: 'read-write', writeBytesLimit: 1000 }],
        })
        const error = await backend.run(failure.code, failure.options).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(error).toBeDefined()
        expect((error as { code?: unknown }).code).toEqual(expect.any(String))
        const texts = textsOf(error)
        for (const form of new Set([host, await realpath(host), root, await realpath(root)])) {
          expect(texts).not.toContain(form)
        }
        if (failure.options?.externalFunctions) expect(texts).toContain('/workspace/missing.txt')
        await backend.close()
      })
    }
  }
})

describe('a schema-declared function with an async execute is awaited like an async function', () => {
  const search = {
    parameters: z.object({ q: z.string() }),
    async execute({ q }: { q: string }) {
      return `found ${q}`
    },
  }
  for (const execution of ['pool', 'in-thread-trusted-code-only'] as const) {
    it(`${execution}: await f(), asyncio.gather, a stored async def, and a plain call`, async () => {
      const backend = createMontyBackend({ execution })
      const externalFunctions = { search }
      expect(
        (await backend.run('r = await search(q="a")\nr', { externalFunctions, typeCheck: true })).result,
      ).toBe('found a')
      expect(
        (
          await backend.run('import asyncio\nawait asyncio.gather(search("b"), search("c"))', {
            externalFunctions,
          })
        ).result,
      ).toEqual(['found b', 'found c'])
      await backend.run('async def g():\n    return await search("d")', { externalFunctions })
      expect((await backend.run('await g()', { externalFunctions })).result).toBe('found d')
      // Not awaited, it still returns its value, as before.
      expect((await backend.run('search("e")', { externalFunctions })).result).toBe('found e')
      await expect(backend.run('await search(1)', { externalFunctions })).rejects.toBeInstanceOf(
        PythonRuntimeError,
      )
      await backend.close()
    })
  }
})
