/**
 * One policy, everywhere (issue 10): every SandboxPolicy in the matrix has the same effect whether
 * it is given to `virtualSandbox({ policy })` or to `init({ sandboxPolicy })`, through every entry
 * point: the sandbox's verbs, `session.shell`, the harness `bash` tool and the file tools.
 */
import type { Sandbox, SandboxPolicy } from '@pyflue/core'
import { getSandboxPolicy } from '@pyflue/core'
import { virtualSandbox } from '@pyflue/sandbox-virtual'
import { describe, expect, it } from 'vitest'
import { init } from './init.js'
import { sandboxTools } from './sandbox-tools.js'

const call = { toolCallId: 't', messages: [] }
const SEED = { 'keep.txt': 'seeded\n', 'd/f.txt': 'x\n' }

/** Every command that changes files, as the model would run it. */
const WRITING_COMMANDS = [
  'rm keep.txt',
  'sed -i s/seeded/changed/ keep.txt',
  'cp keep.txt copy.txt',
  'mv keep.txt moved.txt',
  'touch t.txt',
  'mkdir new',
  'tar -cf out.tar keep.txt',
  'rm -rf d',
  'echo hi > r.txt',
  'tee tee.txt < keep.txt',
  'ln keep.txt hard.txt',
]
const READING_COMMANDS = ['cat keep.txt', 'ls d', 'cat keep.txt | sort']

const POLICIES: SandboxPolicy[] = []
for (const allowWrite of [true, false])
  for (const allowShell of [true, false])
    for (const allowedCommands of [undefined, ['cat', 'ls', 'rm', 'touch', 'mkdir']])
      for (const blockCompoundCommands of [undefined, true, false]) {
        POLICIES.push({
          allowWrite,
          allowShell,
          ...(allowedCommands ? { allowedCommands } : {}),
          ...(blockCompoundCommands === undefined ? {} : { blockCompoundCommands }),
        })
      }

type Route = 'sandbox option' | 'init option' | 'both'

async function sessionFor(route: Route, policy: SandboxPolicy) {
  const agent =
    route === 'sandbox option'
      ? await init({ sandbox: virtualSandbox({ files: SEED, policy }) })
      : route === 'both'
        ? await init({ sandbox: virtualSandbox({ files: SEED, policy }), sandboxPolicy: policy })
        : await init({
            sandbox: virtualSandbox({ files: SEED }),
            sandboxPolicy: policy,
          })
  return { agent, session: await agent.session('matrix') }
}

/** A listing of the workspace: every path and its content, read through the sandbox. */
async function snapshot(sandbox: Sandbox, dir = '/'): Promise<string[]> {
  const lines: string[] = []
  for (const name of await sandbox.readdir(dir)) {
    const path = dir === '/' ? `/${name}` : `${dir}/${name}`
    const stat = await sandbox.stat(path)
    if (stat.isDirectory) lines.push(`${path}/`, ...(await snapshot(sandbox, path)))
    else lines.push(`${path}=${JSON.stringify(await sandbox.readFile(path))}`)
  }
  return lines
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (value) => `ok ${typeof value === 'string' ? value.split('\n')[0] : ''}`.trim(),
    (error: { code?: string; reason?: string }) =>
      `refused ${error.code ?? 'error'} ${error.reason ?? ''}`.trim(),
  )

/** Runs every entry point once over a fresh session and reports what happened, in order. */
async function exercise(route: Route, policy: SandboxPolicy): Promise<{ log: string[]; files: string[][] }> {
  const { agent, session } = await sessionFor(route, policy)
  const sandbox = session.sandbox!
  const tools = sandboxTools(sandbox)
  const log: string[] = []
  const files: string[][] = []
  const step = async (label: string, work: () => unknown) => {
    log.push(`${label}: ${await outcome(Promise.resolve().then(work))}`)
    files.push(await snapshot(sandbox))
  }
  try {
    log.push(`policy ${JSON.stringify(getSandboxPolicy(sandbox))}`)
    log.push(`mount ${sandbox.hostMounts!()[0]!.mode}`)
    await step('sandbox.writeFile', () => sandbox.writeFile('w.txt', 'w'))
    await step('sandbox.mkdir', () => sandbox.mkdir('m'))
    await step('sandbox.rm', () => sandbox.rm('d', { recursive: true }))
    await step('sandbox.readFile', () => sandbox.readFile('keep.txt'))
    await step('session.writeFile', () => session.writeFile('s.txt', 's'))
    await step('session.readFile', () => session.readFile('keep.txt'))
    await step('write tool', () => tools.write.execute!({ path: 'tool.txt', content: 't' }, call))
    await step('edit tool', () =>
      tools.edit.execute!({ path: 'keep.txt', oldText: 'seeded', newText: 'edited' }, call),
    )
    await step('read tool', () => tools.read.execute!({ path: 'keep.txt' }, call))
    for (const command of [...WRITING_COMMANDS, ...READING_COMMANDS]) {
      await step(`session.shell ${command}`, async () => {
        const result = await session.shell(command)
        return `exit ${result.exitCode === 0 ? 0 : 'non-zero'}`
      })
      await step(`bash tool ${command}`, async () =>
        String(await tools.bash.execute!({ command }, call)).replace(/\d+ ms/g, 'N ms'),
      )
      await step(
        `sandbox.exec ${command}`,
        async () => `exit ${(await sandbox.exec(command)).exitCode === 0 ? 0 : 'non-zero'}`,
      )
    }
    return { log, files }
  } finally {
    await agent.close()
  }
}

describe('the policy matrix through every entry point', () => {
  it(`${POLICIES.length} policies: the same effect given to the sandbox, to init, or both`, async () => {
    for (const policy of POLICIES) {
      const reference = await exercise('sandbox option', policy)
      for (const route of ['init option', 'both'] as const) {
        const other = await exercise(route, policy)
        expect({ route, policy, log: other.log }).toEqual({ route, policy, log: reference.log })
        expect(other.files).toEqual(reference.files)
      }
      if (policy.allowWrite === false) {
        // Read-only: no entry point changed a byte.
        for (const files of reference.files) {
          expect(files).toEqual(['/d/', '/d/f.txt="x\\n"', '/keep.txt="seeded\\n"'])
        }
        expect(reference.log[1]).toBe('mount read-only')
      }
      if (policy.allowShell === false) {
        for (const line of reference.log.filter((l) => /^(session\.shell|sandbox\.exec) /.test(l))) {
          expect(line).toMatch(/refused COMMAND_REFUSED shell-disabled$/)
        }
      }
    }
  }, 600_000)

  it("init({ sandbox: 'virtual', sandboxPolicy: { allowWrite: false } }): no shell command writes (the issue's case)", async () => {
    const agent = await init({ sandbox: 'virtual', sandboxPolicy: { allowWrite: false } })
    try {
      const session = await agent.session('named')
      const tools = sandboxTools(session.sandbox!)
      for (const command of ['touch t.txt', 'mkdir -p a/b', 'tar -cf o.tar /']) {
        const result = await session.shell(command)
        expect(result.exitCode).not.toBe(0)
        expect(result.stderr).toMatch(/read-only|EROFS/i)
        expect(await tools.bash.execute!({ command }, call)).toMatch(/^exit code: [1-9]/)
      }
      for (const command of WRITING_COMMANDS) {
        await session.shell(command).catch(() => {})
        await tools.bash.execute!({ command }, call)
        expect(await session.sandbox!.readdir('/')).toEqual([])
      }
      expect(session.sandbox!.hostMounts!()[0]!.mode).toBe('read-only')
    } finally {
      await agent.close()
    }
  })
})
