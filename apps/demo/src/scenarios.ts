import { init } from '@pyflue/harness'
import { z } from 'zod'
import { block, describeError, heading, show } from './print.js'

/**
 * The seed scenarios: Python through a session, with no model, no API key and no network.
 * `'monty'` and `'virtual'` resolve through the registry to @pyflue/backend-monty and
 * @pyflue/sandbox-virtual.
 */
export async function runScenarios(): Promise<void> {
  const agent = await init({ pythonBackend: 'monty', sandbox: 'virtual' })
  const session = await agent.session('scenarios')

  heading('1. Inputs')
  const code1 = 'sum(x * x for x in values)'
  const run1 = await session.runPython(code1, { inputs: { values: [1, 2, 3, 4] } })
  show('code', code1)
  show('inputs', { values: [1, 2, 3, 4] })
  show('result', run1.result)

  heading('2. Typed result (zod)')
  const Invoice = z.object({ customer: z.string(), total: z.number(), lines: z.number().int() })
  const code2 =
    "items = [('tea', 3.5, 2), ('cake', 4.25, 1)]\n{'customer': 'Ada', 'total': sum(p * q for _, p, q in items), 'lines': len(items)}"
  block('code', code2)
  const invoice = await session.runPython(code2, { result: Invoice })
  show('validated result', invoice)
  const badRun = await session
    .runPython("{'customer': 'Ada', 'total': 'lots'}", { result: Invoice })
    .catch((e: unknown) => e)
  show('a result that fails the schema', describeError(badRun))

  heading('3. External function')
  const rates: Record<string, number> = { EUR: 1.08, GBP: 1.27, JPY: 0.0067 }
  const code3 = "[(c, round(100 * usd_rate(currency=c), 2)) for c in ['EUR', 'GBP', 'JPY']]"
  show('code', code3)
  const run3 = await session.runPython(code3, {
    externalFunctions: {
      usd_rate: {
        description: 'US dollars per unit of a currency.',
        parameters: z.object({ currency: z.string().length(3) }),
        returns: 'float',
        execute: ({ currency }: { currency: string }) => {
          const rate = rates[currency]
          if (rate === undefined) throw new Error(`unknown currency ${currency}`)
          return rate
        },
      },
    },
  })
  show('result', run3.result)

  heading('4. State dump and load')
  await session.runPython(
    "inventory = {'apples': 12, 'pears': 7}\nprices = {'apples': 0.5, 'pears': 0.8}\ndef stock_value(stock, price):\n    return round(sum(n * price[k] for k, n in stock.items()), 2)",
  )
  const bytes = await session.dumpPythonState()
  show('dumped state', `${bytes.length} bytes`)
  const restored = await agent.session('restored')
  await restored.loadPythonState(bytes)
  const code4 = "inventory['pears'] += 5\n(inventory, stock_value(inventory, prices))"
  const run4 = await restored.runPython(code4)
  block('in a fresh session after loadPythonState', code4)
  show('result', run4.result)

  heading('5. Dataclass')
  class Reading {
    constructor(
      readonly station: string,
      readonly celsius: number,
    ) {}
  }
  session.registerPythonDataclass(Reading, { fields: ['station', 'celsius'] })
  const readings = [new Reading('Oslo', -3.5), new Reading('Lima', 18.2), new Reading('Cairo', 24.9)]
  const code5 = "warmest = max(readings, key=lambda r: r.celsius)\nf'{warmest.station}: {warmest.celsius} °C'"
  block('code', code5)
  show('result', (await session.runPython(code5, { inputs: { readings } })).result)

  heading('6. Limits and isolation')
  for (const [label, code, limits] of [
    ['an endless loop, 0.2 s limit', 'while True:\n    pass', { maxDurationSecs: 0.2 }],
    ['deep recursion, depth limit 50', 'def f(n):\n    return f(n + 1)\nf(0)', { maxRecursionDepth: 50 }],
    ['a big allocation, 1 MB memory limit', 'x = [0] * 10_000_000', { maxMemory: 1_000_000 }],
    ['reading a host file', "open('/etc/passwd').read()", {}],
    ['reading os.environ (import os works)', 'import os\nos.environ', {}],
  ] as const) {
    const outcome = await session.runPython(code, { resourceLimits: limits }).then(
      (run) => `ran: ${JSON.stringify(run.result)}`,
      (error: unknown) => `refused → ${describeError(error)}`,
    )
    show(label, outcome)
  }
  show('the session still works', (await session.runPython('1 + 1')).result)

  heading('7. Files')
  await session.writeFile('notes/todo.txt', 'buy tea\ncall Ada\nship v1\n')
  const listing = await session.shell('ls notes && wc -l notes/todo.txt')
  block('shell: ls notes && wc -l notes/todo.txt', listing.stdout)
  show('readFile', await session.readFile('notes/todo.txt'))
  const fromPython = await session.runPython(
    "from pathlib import Path\n[line.upper() for line in Path('notes/todo.txt').read_text().splitlines()]",
  )
  show('Python reads the same file', fromPython.result)
  const readOnly = await init({
    sandbox: 'virtual',
    sandboxPolicy: { allowWrite: false, allowedCommands: ['ls', 'cat'] },
  })
  const guarded = await readOnly.session('read-only')
  show(
    'read-only policy, writeFile',
    await guarded.writeFile('x.txt', 'no').then(() => 'written', describeError),
  )
  show(
    'allowedCommands [ls, cat], rm -rf /',
    await guarded.shell('rm -rf /').then((r) => `exit ${r.exitCode}`, describeError),
  )
  await readOnly.close()
  await agent.close()
}
