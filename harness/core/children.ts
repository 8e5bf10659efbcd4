import type { ResultPromise } from "execa";

/** Long-lived child processes (make, QEMU), so an interrupted run can stop them all. */
const live = new Map<ResultPromise, { group: boolean }>();

/**
 * Track a child until it ends. `group`: it was started `detached` as the leader of its own
 * process group (make), and the whole group is killed, so no cc1 or ld outlives it.
 */
export function track<T extends ResultPromise>(proc: T, opts: { group?: boolean } = {}): T {
  live.set(proc, { group: opts.group === true });
  const forget = () => live.delete(proc);
  void proc.then(forget, forget);
  return proc;
}

export function killAllChildren(): number {
  const n = live.size;
  for (const [p, { group }] of live) {
    try {
      if (group && p.pid !== undefined) process.kill(-p.pid, "SIGKILL");
      else p.kill("SIGKILL");
    } catch {
      // Already gone between the check and the kill: nothing to stop.
    }
  }
  return n;
}
