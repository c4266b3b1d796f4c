import { describe, expect, it } from 'vitest'
import { EventQueue } from './event-queue.js'

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
