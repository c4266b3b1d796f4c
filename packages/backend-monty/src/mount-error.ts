/** The one error of a mount the host cannot make, in both execution modes. */
import { InvalidArgumentError } from '@pyflue/core'

/** Its text may hold the host directory; the engine redacts it before it leaves a run. */
export function mountError(sandboxPath: string, reason: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'mounts',
    `The directory mounted at ${sandboxPath} cannot be mounted: ${reason}`,
  )
}
