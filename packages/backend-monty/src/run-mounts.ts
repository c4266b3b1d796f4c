/**
 * The mounts of one run and the end of that run: core's mount lifecycle (`Sandbox.openHostMounts`)
 * seen from the backend. The sandbox is asked once per run (`openHostMounts()` when it has it,
 * else `hostMounts()`), every read-write mount is capped at the backend's per-run write cap, and
 * `release()` is called once, when the run ended, on the pool and the in-thread road alike. A
 * `SandboxLimitError` from the sandbox's `release()` (a run that created more files than the
 * sandbox allows) is what the run rejects with.
 */
import type { HostDirectoryMount, Sandbox } from '@pyflue/core'

/** The mounts of one run; `release()` ends it (later calls resolve at once and do nothing). */
export interface RunMounts {
  readonly mounts: HostDirectoryMount[]
  release(): Promise<void>
}

/** Opens the mounts of one run: the sandbox's, then `extra`, read-write ones capped at `maxWriteBytes`. */
export async function openRunMounts(
  sandbox: Sandbox | undefined,
  extra: readonly HostDirectoryMount[],
  maxWriteBytes: number,
): Promise<RunMounts> {
  const lease = sandbox?.openHostMounts
    ? await sandbox.openHostMounts()
    : { mounts: sandbox?.hostMounts?.() ?? [], release: async () => {} }
  let released = false
  return {
    mounts: [...lease.mounts, ...extra].map((mount) => cappedMount(mount, maxWriteBytes)),
    release: () => {
      if (released) return Promise.resolve()
      released = true
      return lease.release()
    },
  }
}

/** `mount` as one run gets it: a read-write mount writes at most `maxWriteBytes` (and its own limit). */
function cappedMount(mount: HostDirectoryMount, maxWriteBytes: number): HostDirectoryMount {
  return mount.mode === 'read-only'
    ? { sandboxPath: mount.sandboxPath, hostDir: mount.hostDir, mode: 'read-only' }
    : {
        sandboxPath: mount.sandboxPath,
        hostDir: mount.hostDir,
        mode: 'read-write',
        writeBytesLimit: Math.max(
          0,
          Math.min(mount.writeBytesLimit ?? Number.POSITIVE_INFINITY, maxWriteBytes),
        ),
      }
}
