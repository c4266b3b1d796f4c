/**
 * `SHELL_WORK_LIMITS`: the just-bash execution limits every virtual sandbox's shell runs with, on
 * top of just-bash's defaults. Public so a caller (or a benchmark) can build the same shell.
 */

/**
 * just-bash's count limits that stood in for a deadline while the shell ran on the caller's thread,
 * raised: the worker's deadline (`timeoutMs`), its heap (`shellMemoryMb`) and `maxOutputSize`
 * now bound a command, and just-bash's defaults (a million lines or matching steps) refused a
 * `grep` over an ordinary 50 MB log.
 */
export const SHELL_WORK_LIMITS = {
  /** Lines (and other array elements) one command may hold; 100 MB of 50-byte lines is 2 million. */
  maxArrayElements: 50_000_000,
  /** Loop iterations, and `grep`'s matching steps (just-bash counts both here): 10 million. */
  maxLoopIterations: 10_000_000,
} as const
