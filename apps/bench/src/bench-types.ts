/** One row of a benchmark table: a figure measured against a baseline in the same run. */
export interface BenchRow {
  /** What was measured, e.g. `'warm trivial run'`. */
  readonly name: string
  /** The measured figure, already formatted with its unit, e.g. `'12.3 µs'`. */
  readonly value: string
  /** The baseline it is compared with, e.g. `'raw new Monty().run(): 2.1 µs'`. */
  readonly baseline: string
  /** value / baseline (lower is better unless `note` says otherwise). */
  readonly ratio: number
  /** The target, e.g. `'<= 10×'`, and anything a reader needs. */
  readonly note?: string
}

/** A benchmark: a named group of rows. Each file in `src/benches/` exports one as `default`. */
export interface Bench {
  readonly name: string
  run(): Promise<readonly BenchRow[]>
}
