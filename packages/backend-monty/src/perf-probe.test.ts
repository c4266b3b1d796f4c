import { it } from 'vitest'
import { createMontyBackend } from './monty-backend.js'

it('perf', async () => {
  for (const execution of ['in-thread-trusted-code-only', 'pool'] as const) {
    const b = createMontyBackend({ execution })
    await b.run(
      'big = list(range(1000000))\nfl = [0.5] * 300000\nrows = [[i, i + 1] for i in range(100000)]\nx = 1',
    )
    const time = async (code: string) => {
      await b.run(code)
      const t = performance.now()
      for (let i = 0; i < 3; i++) await b.run(code)
      return ((performance.now() - t) / 3).toFixed(1)
    }
    console.log(
      execution,
      'untouched',
      await time('x + 1'),
      'big.append',
      await time('big.append(1)'),
      'fl.append',
      await time('fl.append(1.5)'),
      'rows.append',
      await time('rows.append([1, 2])'),
      'result list',
      await time('list(range(300000))'),
    )
    await b.close()
  }
}, 600000)
