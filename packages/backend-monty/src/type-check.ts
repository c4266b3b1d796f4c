/**
 * Runs Monty's type checker (`ty`) on a snippet after a prefix of stubs and returns its concise
 * diagnostics. This is native code that can crash its process (a 20 000-long attribute chain
 * overflows its stack), so the engine calls it in a pool process (`pool-runner.ts`) and only
 * with `execution: 'in-thread-trusted-code-only'` on the calling thread.
 */
import { Monty, MontyTypingError } from '@pydantic/monty'

/** The checker's diagnostics for `code`, or `undefined` when it found nothing to report. */
export function typeCheckDiagnostics(code: string, prefix: string): string | undefined {
  try {
    new Monty(code, { scriptName: 'snippet.py', typeCheck: true, typeCheckPrefixCode: prefix })
  } catch (error) {
    if (error instanceof MontyTypingError) return error.displayDiagnostics('concise')
    // Syntax and unsupported constructs are reported by the run itself.
  }
  return undefined
}
