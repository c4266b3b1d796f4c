import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

describe('pnpm demo', () => {
  it('runs offline with the scripted model, shows every scenario and the run_code steps, and exits 0', async () => {
    const env = { ...process.env }
    delete env.OPENAI_API_KEY
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env,
      timeout: 110_000,
    })
    for (const title of [
      '1. Inputs',
      '2. Typed result (zod)',
      '3. External function',
      '4. State dump and load',
      '5. Dataclass',
      '6. Limits and isolation',
      '7. Files',
      '8. Approvals inside run_code',
      '9. An agent analyses data/sales.csv with run_code',
      '10. A typed reply from the same session',
    ]) {
      expect(stdout).toContain(`=== ${title}`)
    }
    expect(stdout).toContain('model: SCRIPTED (offline and deterministic')
    expect(stdout).toContain('step 1: the model runs code')
    expect(stdout).toContain('▸ stdout: 12 rows')
    expect(stdout).toMatch(/TypeError: unsupported operand type\(s\) for \*: 'str' and 'str'/)
    expect(stdout).toContain("result: {'best_region': 'West', 'best_revenue': 571, 'total': 1738.5}")
    expect(stdout).toContain('reply.result (validated by zod): {"region":"West","revenue":571,"share":0.328}')
    expect(stdout).toContain('ResourceLimitError [RESOURCE_LIMIT]')
    expect(stdout).toContain('WriteRefusedError [WRITE_REFUSED]')
    expect(stdout).toContain('paused at line 5: refund({"order_id":"B-2002","amount":450})')
    expect(stdout).toContain('another agent opened the session: 1 approval pending')
    expect(stdout).toContain('refunds paid: ["A-1001: 30","C-3003: 12.5"]')
    expect(stdout).toContain("refunded 2 orders for 42.5 - denied: ['B-2002 (over the 100 limit)']")
  }, 120_000)
})
