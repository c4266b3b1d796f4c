/**
 * A one-reader queue that turns pushed values into an async iterator: `push` adds a value,
 * `end` finishes the iteration after the values already pushed, `fail` makes the reader's next
 * read reject once the values already pushed are read.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  readonly #values: T[] = []
  #waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined
  #done = false
  #error: { error: unknown } | undefined

  push(value: T): void {
    if (this.#done) return
    if (this.#waiting) {
      const waiting = this.#waiting
      this.#waiting = undefined
      waiting.resolve({ value, done: false })
    } else {
      this.#values.push(value)
    }
  }

  end(): void {
    this.#done = true
    this.#settleWaiting()
  }

  fail(error: unknown): void {
    if (this.#done) return
    this.#done = true
    this.#error = { error }
    this.#settleWaiting()
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#values.length > 0) return Promise.resolve({ value: this.#values.shift()!, done: false })
    if (this.#done) {
      if (this.#error) {
        const { error } = this.#error
        this.#error = undefined
        return Promise.reject(error)
      }
      return Promise.resolve({ value: undefined, done: true })
    }
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject }
    })
  }

  return(): Promise<IteratorResult<T>> {
    this.#done = true
    this.#values.length = 0
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this
  }

  #settleWaiting(): void {
    const waiting = this.#waiting
    if (!waiting) return
    this.#waiting = undefined
    if (this.#error) {
      const { error } = this.#error
      this.#error = undefined
      waiting.reject(error)
    } else {
      waiting.resolve({ value: undefined, done: true })
    }
  }
}
