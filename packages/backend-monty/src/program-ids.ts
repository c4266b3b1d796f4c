/**
 * How the parent names programs to one pool process: a program the process has been sent keeps
 * an id, so a later run of it sends a few bytes instead of the program (a program with the
 * walker is ~4 KB, which the channel would copy and the process hash again on every run). The
 * parent decides which ids the process may drop and says so in the same message, so both sides
 * always agree on what the process holds.
 */

/** How a run names its program to a process: by id, with the source only the first time. */
export interface ProgramRef {
  readonly programId: number
  readonly source?: string
  /** Ids the process may drop: the parent will not name them again. */
  readonly forget?: readonly number[]
}

/** How many programs a process keeps by id (the bound of its parsed-program cache). */
export const PROGRAM_IDS = 256

let nextProgramId = 1

/** The programs one process holds, by source text, oldest first. */
export class ProgramIds {
  readonly #ids = new Map<string, number>()
  readonly #capacity: number

  constructor(capacity = PROGRAM_IDS) {
    this.#capacity = capacity
  }

  /** The reference that names `source` in the next message to the process (and records it as sent). */
  refer(source: string): ProgramRef {
    const known = this.#ids.get(source)
    if (known !== undefined) {
      this.#ids.delete(source)
      this.#ids.set(source, known)
      return { programId: known }
    }
    const programId = nextProgramId++
    this.#ids.set(source, programId)
    const forget: number[] = []
    for (const [old, id] of this.#ids) {
      if (this.#ids.size <= this.#capacity) break
      this.#ids.delete(old)
      forget.push(id)
    }
    return { programId, source, ...(forget.length > 0 ? { forget } : {}) }
  }
}
