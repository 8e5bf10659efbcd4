import type { ResultPromise } from "execa";

/** Long-lived child processes (make, QEMU), so an interrupted run can stop them all. */
const live = new Set<ResultPromise>();

export function track<T extends ResultPromise>(proc: T): T {
  live.add(proc);
  void proc.then(
    () => live.delete(proc),
    () => live.delete(proc),
  );
  return proc;
}

export function killAllChildren(): number {
  const n = live.size;
  for (const p of live) p.kill("SIGKILL");
  return n;
}
