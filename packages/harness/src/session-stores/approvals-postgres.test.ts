/**
 * A run paused for approval in one Node process is answered, pause by pause, in other Node
 * processes through a real PostgreSQL: each continues the same Python run where it stopped.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type PostgresServer, startPostgres } from '@pyflue/test-support'
import { afterAll, describe, expect, it } from 'vitest'

const child = fileURLToPath(new URL('../../test/approval.child.ts', import.meta.url))
const server: PostgresServer | undefined = await startPostgres()
afterAll(() => server?.stop())
const run = promisify(execFile)

interface ChildReply {
  approvalRequests: { approvalId: string; toolName: string; input: { order: string; amount: number } }[]
  text: string
  refunded: string[]
}

describe.skipIf(!server && process.env.CI !== 'true')('approvals across processes (PostgreSQL)', () => {
  const inChild = async (...args: string[]): Promise<ChildReply> => {
    if (!server) throw new Error('No PostgreSQL found; CI must run the PostgreSQL tests.')
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', child, server.connectionString, ...args],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      },
    )
    return JSON.parse(stdout) as ChildReply
  }

  it('pauses in one process; approvals and a denial in three others finish the same run', async () => {
    const id = `approvals-${process.pid}`
    const first = await inChild(id, 'prompt')
    expect(first.approvalRequests.map((r) => r.input)).toEqual([{ order: 'A1', amount: 30 }])
    expect(first.refunded).toEqual([])
    const second = await inChild(id, 'approve', first.approvalRequests[0]!.approvalId)
    expect(second.refunded).toEqual(['A1'])
    expect(second.approvalRequests.map((r) => r.input)).toEqual([{ order: 'B2', amount: 45 }])
    const third = await inChild(id, 'deny', second.approvalRequests[0]!.approvalId, 'needs a manager')
    expect(third.refunded).toEqual([])
    expect(third.approvalRequests.map((r) => r.input)).toEqual([{ order: 'C3', amount: 12 }])
    const last = await inChild(id, 'approve', third.approvalRequests[0]!.approvalId)
    expect(last.refunded).toEqual(['C3'])
    expect(last.approvalRequests).toEqual([])
    expect(last.text).toBe("done: stdout:\nrefunded 42 denied ['B2']")
  }, 180_000)
})
