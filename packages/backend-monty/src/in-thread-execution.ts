// The in-thread road: runs a Monty program on the calling thread, implementing `Execution`.
import { type Monty, type MontyComplete, MontyNameLookup, MontySnapshot, MountDir } from '@pydantic/monty'
import type { HostDirectoryMount } from '@pyflue/core'
import type { Execution, ExecutionRequest, Executor, Step } from './execution.js'
import { toMontyFailure } from './monty-failure.js'
import { mountError } from './mount-error.js'
import { cachedMonty } from './program-cache.js'

/** The in-thread road as an `Executor`: each run on the calling thread, with fresh `MountDir`s. */
export const IN_THREAD_EXECUTOR: Executor = {
  execution: async (request, mounts) => inProcessExecution(request, mountDirs(mounts)),
}

/**
 * Runs the program on the calling thread (the lowest latency; aborts only at pauses). For
 * trusted code only: a native operation ignores the deadline and a native crash ends the host.
 */
export function inProcessExecution(request: ExecutionRequest, mounts: readonly MountDir[]): Execution {
  let progress: MontySnapshot | MontyNameLookup | MontyComplete | undefined
  // Why the execution is over; the default error is made only when a step is asked of it (an
  // Error captures a stack, which costs more than a trivial run).
  let disposed: { reason: unknown } | undefined
  const over = () => disposed!.reason ?? new Error('This execution is over.')
  const step = (): Step => {
    if (progress instanceof MontyNameLookup) return { kind: 'lookup', name: progress.variableName }
    if (progress instanceof MontySnapshot) {
      return { kind: 'call', name: progress.functionName, args: progress.args, kwargs: progress.kwargs }
    }
    return { kind: 'complete', output: (progress as MontyComplete).output }
  }
  const guard = async (advance: () => void): Promise<Step> => {
    if (disposed) throw over()
    try {
      advance()
    } catch (error) {
      throw toMontyFailure(error)
    }
    return step()
  }
  return {
    start: async () => {
      if (disposed) throw over()
      const snapshot = request.resumeFrom
      if (snapshot) {
        return guard(() => {
          progress = MontySnapshot.load(Buffer.from(snapshot), {
            printCallback: (_stream: string, text: string) => {
              request.printCallback(text)
              return undefined
            },
          })
        })
      }
      let monty: Monty
      try {
        monty = cachedMonty(request.source, request.scriptName, request.inputNames)
      } catch (error) {
        throw toMontyFailure(error)
      }
      const options = {
        ...(request.inputNames.length > 0 ? { inputs: request.inputs } : {}),
        // Monty's own timer gets what remains of the deadline; it stops
        // Python code between operations, not a native operation in progress.
        limits: {
          ...request.limits,
          maxDurationSecs: Math.max(0.001, (request.clock.deadline - Date.now()) / 1000),
        },
        printCallback: (_stream: string, text: string) => {
          request.printCallback(text)
          return undefined
        },
        ...(mounts.length > 0 ? { mount: [...mounts] } : {}),
      }
      if (!request.canPause) {
        try {
          return { kind: 'complete', output: monty.run(options) }
        } catch (error) {
          throw toMontyFailure(error)
        }
      }
      return guard(() => {
        progress = monty.start(options)
      })
    },
    resumeLookup: (value) =>
      guard(() => {
        progress = (progress as MontyNameLookup).resume(value ? { value: value.value } : undefined)
      }),
    resumeCall: (answer) =>
      guard(() => {
        progress = (progress as MontySnapshot).resume(
          'exception' in answer ? { exception: answer.exception } : { returnValue: answer.value },
        )
      }),
    dump: async () => {
      if (disposed) throw over()
      if (!(progress instanceof MontySnapshot))
        throw new Error('Only a program paused at a call can be dumped.')
      return new Uint8Array(progress.dump())
    },
    dispose(reason) {
      disposed ??= { reason }
      progress = undefined
    },
  }
}

/** Fresh `MountDir`s for one run; a directory the host cannot mount is an `InvalidArgumentError`. */
function mountDirs(mounts: readonly HostDirectoryMount[]): MountDir[] {
  return mounts.map((mount) => {
    try {
      // Fresh for each run: Monty counts `writeBytesLimit` over a mount's whole life.
      return new MountDir(mount.sandboxPath, mount.hostDir, {
        mode: mount.mode,
        ...(mount.writeBytesLimit === undefined ? {} : { writeBytesLimit: mount.writeBytesLimit }),
      })
    } catch (error) {
      throw mountError(mount.sandboxPath, (error as Error)?.message ?? String(error))
    }
  })
}
