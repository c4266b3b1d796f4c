import { type ScriptContext, scriptedModel } from '@pyflue/harness/testing'

/**
 * The offline model: a deterministic script on the AI SDK's mock language model. It writes the
 * code a careful analyst would write, including one honest mistake (CSV fields are strings), and
 * its final sentences quote the real `run_code` output it received. Nothing in its replies is
 * computed outside Python.
 */
export function scriptedAnalyst() {
  const lastOutput = (context: ScriptContext) => String(context.toolResults.at(-1)?.output ?? '')
  return scriptedModel(
    [
      {
        text: 'Let me load the CSV and look at its shape.',
        toolCalls: [
          {
            toolName: 'run_code',
            input: {
              code: [
                'from pathlib import Path',
                "all_lines = Path('data/sales.csv').read_text().strip().split('\\n')",
                "columns = all_lines[0].split(',')",
                "rows = [dict(zip(columns, line.split(','))) for line in all_lines[1:]]",
                "print(f'{len(rows)} rows; columns: {columns}')",
                'rows[0]',
              ].join('\n'),
            },
          },
        ],
      },
      {
        text: 'Now revenue per region.',
        toolCalls: [
          {
            toolName: 'run_code',
            input: {
              code: [
                'revenue = {}',
                'for row in rows:',
                "    amount = row['units'] * row['unit_price']",
                "    revenue[row['region']] = revenue.get(row['region'], 0) + amount",
                'revenue',
              ].join('\n'),
            },
          },
        ],
      },
      (context) => ({
        text: lastOutput(context).includes('TypeError')
          ? 'The CSV fields are strings; I will convert them first.'
          : 'Ranking the regions.',
        toolCalls: [
          {
            toolName: 'run_code',
            input: {
              code: [
                'revenue = {}',
                'for row in rows:',
                "    amount = int(row['units']) * float(row['unit_price'])",
                "    revenue[row['region']] = revenue.get(row['region'], 0) + amount",
                'ranking = sorted(revenue.items(), key=lambda kv: -kv[1])',
                'for region, total in ranking:',
                "    print(f'{region:<6} {total:>8.2f}')",
                "{'best_region': ranking[0][0], 'best_revenue': round(ranking[0][1], 2), 'total': round(sum(revenue.values()), 2)}",
              ].join('\n'),
            },
          },
        ],
      }),
      (context) => ({
        text: `Here is what run_code computed (scripted model, quoting the tool output verbatim):\n${lastOutput(context)}`,
      }),
      // Second prompt: a typed reply. The JSON comes from Python's json.dumps, not from the script.
      {
        toolCalls: [
          {
            toolName: 'run_code',
            input: {
              code: "import json\nprint(json.dumps({'region': ranking[0][0], 'revenue': round(ranking[0][1], 2), 'share': round(ranking[0][1] / sum(revenue.values()), 3)}))",
            },
          },
        ],
      },
      (context) => ({
        text: lastOutput(context)
          .replace(/^stdout:\n/, '')
          .trim(),
      }),
    ],
    { modelId: 'scripted-analyst' },
  )
}
