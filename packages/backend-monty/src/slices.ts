/**
 * Long work on the calling thread in slices: a `Slicer` says when the current slice has run
 * for `sliceMs` and then waits one `setImmediate`, so timers, I/O and other sessions run
 * between slices. Used by the state encoder and decoder and the walks that follow a load.
 */

/** The longest slice of work before yielding to the event loop, by default. */
export const DEFAULT_SLICE_MS = 4

/** How long work is sliced. */
export interface SliceOptions {
  /** The longest slice of work before yielding to the event loop, in ms (0 yields at every chance). */
  readonly sliceMs?: number
  /** Called once per yield (for tests and progress). */
  readonly onYield?: () => void
}

export class Slicer {
  readonly #sliceMs: number
  readonly #onYield: (() => void) | undefined
  #sliceStart = performance.now()

  constructor(options: SliceOptions = {}) {
    this.#sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS
    this.#onYield = options.onYield
  }

  /** A chance to yield: resolves at once inside a slice, after one `setImmediate` at its end. */
  async chance(): Promise<void> {
    if (performance.now() - this.#sliceStart < this.#sliceMs) return
    this.#onYield?.()
    await new Promise<void>((resolve) => setImmediate(resolve))
    this.#sliceStart = performance.now()
  }

  /** Runs `step` (which does a bounded amount of work and says whether all is done) to the end. */
  async run(step: () => boolean): Promise<void> {
    while (!step()) await this.chance()
  }
}
