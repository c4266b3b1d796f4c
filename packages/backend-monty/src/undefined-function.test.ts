/**
 * Calling a function that exists nowhere is a Python `NameError`, with or without mounted
 * directories, in both execution modes: the model sees the error CPython gives, and the
 * snippet can catch it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pyflue-undefined-fn-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

for (const execution of ['pool', 'in-thread-trusted-code-only'] as const) {
  describe(`an undefined function (${execution})`, () => {
    for (const mode of ['read-write', 'read-only'] as const) {
      it(`is a NameError with a ${mode} mount`, async () => {
        const py = createMontyBackend({ execution, mounts: [{ sandboxPath: '/data', hostDir: root, mode }] })
        try {
          await expect(py.run('double(2)')).rejects.toMatchObject({
            code: 'PYTHON_RUNTIME',
            excType: 'NameError',
            message: expect.stringContaining("name 'double' is not defined"),
          })
          const caught = await py.run('try:\n    double(2)\nexcept NameError as e:\n    r = str(e)\nr')
          expect(caught.result).toBe("name 'double' is not defined")
          // The mount still works in the same kind of run.
          const wrote = await py.run(
            mode === 'read-write'
              ? 'from pathlib import Path\nPath("/data/a.txt").write_text("hi")\nPath("/data/a.txt").read_text()'
              : 'from pathlib import Path\nPath("/data").exists()',
          )
          expect(wrote.result).toBe(mode === 'read-write' ? 'hi' : true)
        } finally {
          await py.close()
        }
      }, 60_000)
    }
  })
}
