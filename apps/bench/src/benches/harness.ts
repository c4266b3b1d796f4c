import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMontyBackend, montyBackend } from '@pyflue/backend-monty'
import { FileSessionStore, init, runCodeTool } from '@pyflue/harness'
import { scriptedModel } from '@pyflue/harness/testing'
import { generateText, stepCountIs, tool } from 'ai'
import { z } from 'zod'
import type { Bench, BenchRow } from '../bench-types.js'
import { formatMs, median, sample } from '../stats.js'

const CODE = 'total = 1 + 2\ntotal'

/** What the harness adds on top of the backend: session bookkeeping, saving, run_code formatting, the model loop. */
const bench: Bench = {
  name: 'harness',
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = []
    const backend = createMontyBackend()
    const raw = median(await sample(() => backend.run(CODE), 1000, 200))

    const memory = await (await init({ pythonBackend: 'monty' })).session('bench-memory')
    const inMemory = median(await sample(() => memory.runPython(CODE), 1000, 200))
    rows.push({
      name: 'session.runPython, in-memory store (saves state after each run)',
      value: formatMs(inMemory),
      baseline: `backend.run(): ${formatMs(raw)}`,
      ratio: inMemory / raw,
      note: 'monty runs in its pool of processes (the default)',
    })
    const sameThread = await (
      await init({ pythonBackend: montyBackend({ execution: 'in-thread-trusted-code-only' }) })
    ).session('bench-same-thread')
    const onThread = median(await sample(() => sameThread.runPython(CODE), 1000, 200))
    rows.push({
      name: "session.runPython, in-memory store, montyBackend({ execution: 'in-thread-trusted-code-only' })",
      value: formatMs(onThread),
      baseline: `backend.run(): ${formatMs(raw)}`,
      ratio: onThread / raw,
    })

    const directory = await mkdtemp(join(tmpdir(), 'pyflue-bench-'))
    try {
      const fileAgent = await init({ pythonBackend: 'monty', store: new FileSessionStore(directory) })
      const onDisk = await fileAgent.session('bench-file')
      const fileStore = median(await sample(() => onDisk.runPython(CODE), 300, 50))
      rows.push({
        name: 'session.runPython, FileSessionStore',
        value: formatMs(fileStore),
        baseline: `backend.run(): ${formatMs(raw)}`,
        ratio: fileStore / raw,
      })
      await fileAgent.close()
    } finally {
      await rm(directory, { recursive: true, force: true })
    }

    const runCode = runCodeTool(createMontyBackend())
    const call = { toolCallId: 'bench', messages: [] }
    const toolRun = median(await sample(() => runCode.execute!({ code: CODE }, call), 1000, 200))
    rows.push({
      name: 'run_code tool execute (run + model-facing text)',
      value: formatMs(toolRun),
      baseline: `backend.run(): ${formatMs(raw)}`,
      ratio: toolRun / raw,
    })

    // One prompt with one run_code step, against the same loop written directly with generateText.
    const turns = () =>
      scriptedModel((context) =>
        context.toolResults.length === 0
          ? { toolCalls: [{ toolName: 'run_code', input: { code: CODE } }] }
          : { text: String(context.toolResults[0]?.output) },
      )
    const agent = await init({ model: turns(), pythonBackend: 'monty' })
    let n = 0
    const harnessPrompt = median(
      await sample(
        async () => {
          const session = await agent.session(`p${n++}`)
          await session.prompt('add')
          await session.close()
        },
        200,
        20,
      ),
    )
    const directModel = turns()
    const directBackend = createMontyBackend()
    const plain = tool({
      inputSchema: z.object({ code: z.string() }),
      execute: async ({ code }) => String((await directBackend.run(code)).result),
    })
    const direct = median(
      await sample(
        () =>
          generateText({
            model: directModel,
            prompt: 'add',
            tools: { run_code: plain },
            stopWhen: stepCountIs(3),
          }),
        200,
        20,
      ),
    )
    rows.push({
      name: 'open session + prompt with one run_code step + close (scripted model)',
      value: formatMs(harnessPrompt),
      baseline: `generateText with a bare backend tool: ${formatMs(direct)}`,
      ratio: harnessPrompt / direct,
      note: "runs go through monty's shared process pool; the baseline runs on the calling thread",
    })
    return rows
  },
}

export default bench
