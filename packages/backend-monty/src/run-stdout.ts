/**
 * `StdoutCapture`: what a run prints, kept up to a byte cap and handed to a listener as printed.
 * - Text past the cap is cut at the cap on a character boundary, and the captured text ends with
 *   a note saying so (`truncated` is then true).
 * - The listener (`onStdout`) sees every chunk, the part past the cap too; a listener that
 *   throws does not break the run.
 */
export class StdoutCapture {
  readonly #maxBytes: number
  readonly #listener: ((text: string) => void) | undefined
  readonly #chunks: string[] = []
  #bytes = 0
  #truncated = false

  /**
   * `earlier` (with `earlierTruncated`) is what the run printed before it paused, when it is
   * resumed: kept as captured, not handed to the listener again.
   */
  constructor(maxBytes: number, listener?: (text: string) => void, earlier = '', earlierTruncated = false) {
    this.#maxBytes = maxBytes
    this.#listener = listener
    if (earlierTruncated) {
      const note = earlier.lastIndexOf('\n[stdout truncated at ')
      this.#chunks.push(note >= 0 ? earlier.slice(0, note) : earlier)
      this.#bytes = maxBytes
      this.#truncated = true
    } else if (earlier !== '') {
      this.#chunks.push(earlier)
      this.#bytes = Buffer.byteLength(earlier)
    }
  }

  /** Takes one printed chunk (bound: pass it as Monty's print callback). */
  readonly print = (text: string): void => {
    if (!this.#truncated) {
      const bytes = Buffer.byteLength(text)
      if (this.#bytes + bytes <= this.#maxBytes) {
        this.#chunks.push(text)
        this.#bytes += bytes
      } else {
        const room = this.#maxBytes - this.#bytes
        this.#chunks.push(
          Buffer.from(text)
            .subarray(0, room)
            .toString('utf8')
            .replace(/\uFFFD+$/, ''),
        )
        this.#bytes = this.#maxBytes
        this.#truncated = true
      }
    }
    try {
      this.#listener?.(text)
    } catch {
      // A throwing listener must not break the run.
    }
  }

  /** True once the cap cut the output. */
  get truncated(): boolean {
    return this.#truncated
  }

  /** The captured output, with the note when it was cut. */
  text(): string {
    const text = this.#chunks.join('')
    return this.#truncated ? `${text}\n[stdout truncated at ${this.#maxBytes} bytes]` : text
  }
}
