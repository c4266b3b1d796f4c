/**
 * The queues behind `session.stream()`: `Deque`, a first-in first-out list whose `push` and
 * `shift` cost O(1) amortized however many values it holds (an application that awaits `reply`
 * before it iterates leaves every event of the prompt in it); `EventQueue`, a one-reader queue
 * that turns pushed values into an async iterator; and `HeldEvents`, the events of tool calls
 * the stream has not shown yet, by call id.
 */

/** Values in the order they were pushed; `push` and `shift` are O(1) amortized. */
export class Deque<T> {
  #items: (T | undefined)[] = []
  #head = 0

  /** How many values are held. */
  get length(): number {
    return this.#items.length - this.#head
  }

  push(value: T): void {
    this.#items.push(value)
  }

  /** The oldest value, removed; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined
    const value = this.#items[this.#head]
    this.#items[this.#head] = undefined
    this.#head++
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      // Copies at most as many values as were shifted since the last copy: O(1) amortized.
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return value
  }

  clear(): void {
    this.#items = []
    this.#head = 0
  }
}

/**
 * A one-reader queue that turns pushed values into an async iterator: `push` adds a value,
 * `end` finishes the iteration after the values already pushed, `fail` makes the reader's next
 * read reject once the values already pushed are read.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  readonly #values = new Deque<T>()
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
    this.#values.clear()
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

/** Events held by key (a tool call's id) until they may be shown; each `hold` is O(1) amortized. */
export class HeldEvents<T> {
  readonly #held = new Map<string, Deque<T>>()

  hold(key: string, event: T): void {
    let list = this.#held.get(key)
    if (list === undefined) {
      list = new Deque<T>()
      this.#held.set(key, list)
    }
    list.push(event)
  }

  /** Pushes the events held under `key` into `queue`, oldest first, and forgets them. */
  release(key: string, queue: EventQueue<T>): void {
    const list = this.#held.get(key)
    if (list === undefined) return
    this.#held.delete(key)
    for (let event = list.shift(); event !== undefined; event = list.shift()) queue.push(event)
  }
}
