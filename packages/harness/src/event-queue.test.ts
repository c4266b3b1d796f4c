import { describe, expect, it } from 'vitest'
import { Deque, EventQueue, HeldEvents } from './event-queue.js'

describe('EventQueue', () => {
  it('yields pushed values in order, then ends', async () => {
    const queue = new EventQueue<number>()
    queue.push(1)
    setTimeout(() => {
      queue.push(2)
      queue.end()
    }, 1)
    const seen: number[] = []
    for await (const value of queue) seen.push(value)
    expect(seen).toEqual([1, 2])
  })

  it('rejects after the values pushed before the failure', async () => {
    const queue = new EventQueue<number>()
    queue.push(1)
    queue.fail(new Error('boom'))
    const seen: number[] = []
    await expect(
      (async () => {
        for await (const value of queue) seen.push(value)
      })(),
    ).rejects.toThrow('boom')
    expect(seen).toEqual([1])
  })
})

/**
 * Counts the length of every array of `minLength` or more that the code under test copies, moves
 * or iterates through the Array methods that do (`slice`, `splice`, `concat`, `shift`, `unshift`,
 * and the iterator that spreading and `for...of` use): an upper bound of the elements moved.
 */
function countArrayCopies<R>(minLength: number, work: () => R): { result: R; copied: number } {
  let copied = 0
  const proto = Array.prototype as unknown as Record<string | symbol, (...args: unknown[]) => unknown>
  const names = ['slice', 'splice', 'concat', 'shift', 'unshift', Symbol.iterator] as const
  const originals = names.map((name) => proto[name]!)
  names.forEach((name, index) => {
    const original = originals[index]!
    proto[name] = function (this: unknown[], ...args: unknown[]) {
      if (Array.isArray(this) && this.length >= minLength) copied += this.length
      return original.apply(this, args)
    }
  })
  try {
    return { result: work(), copied }
  } finally {
    names.forEach((name, index) => {
      proto[name] = originals[index]!
    })
  }
}

describe('Deque, EventQueue and HeldEvents hold 40 000 values without quadratic copying', () => {
  const count = 40_000

  it('Deque: pushing then shifting N values copies fewer than N elements in all', () => {
    const { result, copied } = countArrayCopies(64, () => {
      const deque = new Deque<number>()
      for (let i = 0; i < count; i++) deque.push(i)
      const out: number[] = []
      for (let value = deque.shift(); value !== undefined; value = deque.shift()) out.push(value)
      return out
    })
    expect(result).toHaveLength(count)
    expect(result[0]).toBe(0)
    expect(result[count - 1]).toBe(count - 1)
    // Linear: a shift() per read would count N²/2 = 800 000 000 elements.
    expect(copied).toBeLessThan(3 * count)
  })

  it('EventQueue: N events pushed before the reader comes are read in order with bounded copying', async () => {
    const queue = new EventQueue<number>()
    const { copied: pushCopies } = countArrayCopies(64, () => {
      for (let i = 0; i < count; i++) queue.push(i)
      queue.end()
    })
    let copied = pushCopies
    const seen: number[] = []
    for (;;) {
      const step = countArrayCopies(64, () => queue.next())
      copied += step.copied
      const result = await step.result
      if (result.done) break
      seen.push(result.value)
    }
    expect(seen).toHaveLength(count)
    expect(seen.every((value, index) => value === index)).toBe(true)
    expect(copied).toBeLessThan(3 * count)
  })

  it('HeldEvents: N events held under one key are released in order with bounded copying', async () => {
    const queue = new EventQueue<number>()
    const held = new HeldEvents<number>()
    const { copied } = countArrayCopies(64, () => {
      for (let i = 0; i < count; i++) held.hold('call-1', i)
      held.hold('call-2', -1)
      held.release('call-1', queue)
      held.release('call-1', queue)
      queue.end()
    })
    const seen: number[] = []
    for await (const value of queue) seen.push(value)
    expect(seen).toHaveLength(count)
    expect(seen.every((value, index) => value === index)).toBe(true)
    expect(copied).toBeLessThan(3 * count)
  })
})
