/**
 * The entry of a shell worker thread. It lowers the thread's priority first and only then loads
 * the loop (`shell-worker-loop.ts`) and with it just-bash: compiling that bundle is the worker's
 * largest burst of CPU (a new worker replaces every terminated one), and at the normal priority it
 * competed with the host's event loop for the same cores.
 */
import { setPriority } from 'node:os'

/** The nice value of a shell worker's thread (Linux). */
export const SHELL_WORKER_NICE = 10

// On Linux the nice value is per thread: a shell worker yields the CPU to the host's event loop
// (and to other work) when both want it. Elsewhere this may apply to the process or fail; the
// worker then runs at the normal priority.
if (process.platform === 'linux') {
  try {
    setPriority(SHELL_WORKER_NICE)
  } catch {
    // Not permitted here: run at the normal priority.
  }
}

await import('./shell-worker-loop.js')
