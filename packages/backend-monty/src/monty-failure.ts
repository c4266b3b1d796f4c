// Monty's failure as plain data (the same wherever the program ran: in-thread or in a pool
// process), and the conversion from `@pydantic/monty`'s own error classes.
import { MontyRuntimeError, MontySyntaxError } from '@pydantic/monty'

/** Monty's failure as plain data, wherever the program ran. */
export class MontyFailure extends Error {
  constructor(
    readonly kind: 'syntax' | 'runtime',
    readonly typeName: string,
    readonly pythonMessage: string,
    readonly frames: readonly { line: number; column: number; functionName?: string }[],
  ) {
    super(`${typeName}: ${pythonMessage}`)
  }
}

/** Turns `@pydantic/monty`'s errors into `MontyFailure`; anything else passes through. */
export function toMontyFailure(error: unknown): unknown {
  if (error instanceof MontySyntaxError) {
    const info = error.exception
    return new MontyFailure('syntax', info.typeName || 'SyntaxError', info.message, [])
  }
  if (error instanceof MontyRuntimeError) {
    const info = error.exception
    const frames = error.traceback().map((frame) => ({
      line: frame.line,
      column: frame.column,
      ...(frame.functionName ? { functionName: frame.functionName } : {}),
    }))
    return new MontyFailure('runtime', info.typeName, info.message, frames)
  }
  return error
}
