/** Stopping the commands a fake provider server started (each in its own process group). */
import type { ChildProcess } from 'node:child_process'

/**
 * Sends `signal` to the process group of `child` (started with `detached: true`), so the shell
 * and everything it started stop together; falls back to the child alone. Does nothing once the
 * child has exited.
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}
