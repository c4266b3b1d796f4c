import { describe, expect, it, vi } from 'vitest'
import { createMontyBackend } from './monty-backend.js'
import { createMontyPool } from './monty-pool.js'
import { ProgramIds } from './program-ids.js'

describe('ProgramIds', () => {
  it('sends a program once, then names it by id', () => {
    const ids = new ProgramIds(4)
    const first = ids.refer('a = 1')
    expect(first.source).toBe('a = 1')
    expect(ids.refer('a = 1')).toEqual({ programId: first.programId })
    expect(ids.refer('b = 2').programId).not.toBe(first.programId)
  })

  it('forgets the least recently used past its capacity, and says so in the same reference', () => {
    const ids = new ProgramIds(2)
    const a = ids.refer('a')
    const b = ids.refer('b')
    ids.refer('a') // a is now the most recent
    const c = ids.refer('c')
    expect(c.forget).toEqual([b.programId])
    expect(ids.refer('a')).toEqual({ programId: a.programId })
    // b was forgotten: it is sent again, under a new id.
    const again = ids.refer('b')
    expect(again.source).toBe('b')
    expect(again.programId).not.toBe(b.programId)
  })
})

describe('programs by id on a pool process', () => {
  it('re-runs, runs past the capacity and runs on a replaced process give the right results', async () => {
    const pool = createMontyPool({ size: 1 })
    const backend = createMontyBackend({ pool })
    try {
      const first = 'xs = [1.0, 2]\nrepr(xs)'
      expect((await backend.run(first)).result).toBe('[1.0, 2]')
      expect((await backend.run(first)).result).toBe('[1.0, 2]')
      for (let i = 0; i < 300; i++) expect((await backend.run(`[${i}, ${i}.0]`)).result).toEqual([i, i])
      expect((await backend.run(first)).result).toBe('[1.0, 2]')
      const [pid] = pool.processIds()
      process.kill(pid!, 'SIGKILL')
      await vi.waitFor(() => expect(pool.stats().live).toBe(0), { timeout: 30_000, interval: 20 })
      // The replacement holds no program: the first run there sends it again.
      expect((await backend.run(first)).result).toBe('[1.0, 2]')
      expect(pool.processIds()).not.toContain(pid)
    } finally {
      await backend.close()
      await pool.close()
    }
  })
})
