// Run by step-commits.test.ts in its own Node process: starts a two-step prompt on the directory
// store, and when the model is asked for step 2 (step 1 is committed by then) reports it on
// stdout and blocks, so the parent can SIGKILL it mid-prompt.
import { writeSync } from 'node:fs'
import { FileSessionStore, init } from '../src/index.js'
import { scriptedModel } from '../src/testing/scripted-model.js'

const directory = process.argv[2]!
const model = scriptedModel([
  {
    toolCalls: [
      {
        toolName: 'run_code',
        input: { code: "from pathlib import Path\nPath('/step1.txt').write_text('one')\nx = 5" },
      },
    ],
  },
  () => {
    writeSync(1, 'asking-for-step-2\n')
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0) // blocks until killed
    return { text: 'never' }
  },
])
const agent = await init({
  model,
  pythonBackend: 'monty',
  sandbox: 'virtual',
  store: new FileSessionStore(directory),
  sessionLease: { ttlMs: 2_000, ownerId: `child-${process.pid}` },
})
const session = await agent.session('killed-mid-prompt')
await session.prompt('make x')
