import { readdir } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import type { Bench, BenchRow } from './bench-types.js'

/**
 * Runs every benchmark in `src/benches/` (or only those whose file name contains one of the
 * command-line arguments) and prints one table of ratios measured in this run.
 */
const filters = process.argv.slice(2)
const dir = new URL('./benches/', import.meta.url)
const files = (await readdir(dir)).filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts')).sort()
const rows: { bench: string; row: BenchRow }[] = []
for (const file of files) {
  if (filters.length > 0 && !filters.some((f) => file.includes(f))) continue
  const bench = (await import(pathToFileURL(new URL(file, dir).pathname).href)).default as Bench
  process.stderr.write(`running ${bench.name}…\n`)
  for (const row of await bench.run()) rows.push({ bench: bench.name, row })
}
const table = [
  ['benchmark', 'figure', 'value', 'baseline', 'ratio', 'note'],
  ...rows.map(({ bench, row }) => [
    bench,
    row.name,
    row.value,
    row.baseline,
    `${row.ratio.toFixed(2)}×`,
    row.note ?? '',
  ]),
]
const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
console.log(line(table[0]!))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const r of table.slice(1)) console.log(line(r))
if (rows.length === 0) console.log('(no benchmark matched)')
