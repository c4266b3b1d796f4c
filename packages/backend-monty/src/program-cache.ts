// A small LRU of parsed Monty programs, shared by the in-thread road and the pool runner.
import { Monty } from '@pydantic/monty'

const PROGRAM_CACHE_SIZE = 256
const programCache = new Map<string, Monty>()

/** A parsed program can run any number of times: a small LRU spares re-parsing identical programs. */
export function cachedMonty(source: string, scriptName: string, inputs: readonly string[]): Monty {
  const key = `${scriptName}\0${inputs.join(',')}\0${source}`
  const cached = programCache.get(key)
  if (cached) {
    programCache.delete(key)
    programCache.set(key, cached)
    return cached
  }
  const monty = new Monty(source, { scriptName, inputs: [...inputs] })
  programCache.set(key, monty)
  if (programCache.size > PROGRAM_CACHE_SIZE) programCache.delete(programCache.keys().next().value!)
  return monty
}
