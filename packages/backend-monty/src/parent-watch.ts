/**
 * Pool processes die with their parent. A pool process normally exits on the IPC `disconnect`
 * event, but that needs its event loop, and Monty computes on the main thread in native code
 * (`10 ** (10 ** 8)` holds it for tens of seconds). So a small worker thread, whose event loop
 * stays free, polls the parent pid: once the parent is gone the process is re-parented, its
 * `ppid` changes, and the worker SIGKILLs its own process. Measured with Monty's native loop:
 * without the worker the process outlived its dead parent at 100% CPU; with it, it was gone
 * within one poll interval.
 */
import { Worker } from 'node:worker_threads'

/** How often the watcher looks at the parent pid. */
export const PARENT_POLL_MS = 200

const WATCHER_SOURCE = `
const { workerData } = require('node:worker_threads')
setInterval(() => {
  if (process.ppid !== workerData.parent) process.kill(process.pid, 'SIGKILL')
}, workerData.pollMs)
`

/** Starts the watcher thread; it never keeps the process alive by itself. */
export function watchParent(pollMs = PARENT_POLL_MS): void {
  const worker = new Worker(WATCHER_SOURCE, {
    eval: true,
    workerData: { parent: process.ppid, pollMs },
    env: {},
    stdout: false,
    stderr: false,
  })
  worker.unref()
}
