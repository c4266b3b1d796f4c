/** The error an aborted operation rejects with: a `DOMException` named `AbortError` whose `cause` is the signal's reason. */
export function createAbortError(signal?: AbortSignal, message = 'The operation was aborted.'): DOMException {
  const error = new DOMException(message, 'AbortError')
  if (signal && signal.reason !== undefined) {
    Object.defineProperty(error, 'cause', { value: signal.reason, configurable: true, writable: true })
  }
  return error
}

/** Throws the abort error when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, message?: string): void {
  if (signal?.aborted) throw createAbortError(signal, message)
}

/** True for the error an abort produces (a `DOMException` or `Error` named `AbortError`). */
export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError'
}

/**
 * Races `promise` against `signal`: rejects with the abort error as soon as the signal aborts,
 * without waiting for `promise`. A later settlement of `promise` is consumed and ignored.
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  message?: string,
): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(createAbortError(signal, message))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {})
      reject(createAbortError(signal, message))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
