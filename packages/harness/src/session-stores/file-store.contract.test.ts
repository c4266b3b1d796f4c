/** The session store contract suite on the directory-backed FileSessionStore. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeSessionStoreContract } from '@pyflue/testkit'
import { afterAll } from 'vitest'
import { FileSessionStore } from './file-store.js'

const directory = mkdtempSync(join(tmpdir(), 'pyflue-file-store-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

describeSessionStoreContract(
  'FileSessionStore',
  () => new FileSessionStore(directory, { maxWorkspaceBytes: 1024 }),
  {
    maxWorkspaceBytes: 1024,
    shared: true,
  },
)
