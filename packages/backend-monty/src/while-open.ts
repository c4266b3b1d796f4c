/**
 * `whileOpen`: a promise raced against a backend's closing. It settles as `promise` does, or
 * rejects with the closer's reason (a `ClosedError`) as soon as `closer` is aborted; a later
 * settlement of `promise` is then ignored (and a later rejection never goes unhandled).
 */
export function whileOpen<T>(closer: AbortSignal, promise: Promise<T>): Promise<T> {
  if (closer.aborted) {
    promise.catch(() => {})
    return Promise.reject(closer.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const onClose = () => {
      promise.catch(() => {})
      reject(closer.reason)
    }
    closer.addEventListener('abort', onClose, { once: true })
    promise.then(
      (value) => {
        closer.removeEventListener('abort', onClose)
        resolve(value)
      },
      (error: unknown) => {
        closer.removeEventListener('abort', onClose)
        reject(error)
      },
    )
  })
}
