// A small LRU of parsed Monty programs, shared by the in-thread road and the pool runner.
import { Monty } from '@pydantic/monty'

const PROGRAM_CACHE_SIZE = 256
/**
 * Parsed programs by source text, then by script name and input names. The source is the outer
 * key: the engine hands the same string object for the same program, whose hash V8 keeps, so a
 * hit costs no pass over the text (a key built by concatenation would be hashed afresh each run).
 */
const programCache = new Map<string, Map<string, Monty>>()
let cached = 0

/** A parsed program can run any number of times: a small LRU spares re-parsing identical programs. */
export function cachedMonty(source: string, scriptName: string, inputs: readonly string[]): Monty {
  const variant = `${scriptName}\0${inputs.join(',')}`
  const variants = programCache.get(source)
  const hit = variants?.get(variant)
  if (variants && hit) {
    programCache.delete(source)
    programCache.set(source, variants)
    return hit
  }
  const monty = new Monty(source, { scriptName, inputs: [...inputs] })
  if (variants) {
    variants.set(variant, monty)
    programCache.delete(source)
    programCache.set(source, variants)
  } else programCache.set(source, new Map([[variant, monty]]))
  cached += 1
  while (cached > PROGRAM_CACHE_SIZE) {
    const [oldest, dropped] = programCache.entries().next().value!
    programCache.delete(oldest)
    cached -= dropped.size
  }
  return monty
}
