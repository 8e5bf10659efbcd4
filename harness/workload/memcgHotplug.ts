import type { MemcgHotplugWorkload as Workload } from "../scenario/schema.js";
import type { GuestShell } from "../vm/ssh.js";
import { LOST, outcomeOf, type WorkloadOutcome } from "./outcome.js";

/** Guest shell scripts for the pagetest-style workload; pure, so tests can read them. */
export const CGROUP = "/sys/fs/cgroup/pagetest";

export function setupScript(w: Workload): string {
  return [
    "set -e",
    "mke2fs -q -F /dev/vda",
    "mount -t ext2 /dev/vda /mnt",
    'echo "+memory +io" > /sys/fs/cgroup/cgroup.subtree_control',
    `mkdir -p ${CGROUP}`,
    `echo ${w.memoryMax} > ${CGROUP}/memory.max`,
    `echo "setup: memory.max=$(cat ${CGROUP}/memory.max) cpus=$(nproc)"`,
  ].join("\n");
}

/** Dirty pages from inside the limited cgroup: files larger than memory.max, then sync. */
export function writerScript(w: Workload): string {
  return [
    `echo $$ > ${CGROUP}/cgroup.procs`,
    `i=1; while [ $i -le ${w.files} ]; do`,
    `  dd if=/dev/zero of=/mnt/f$i bs=1M count=${w.fileMiB} 2>&1 | tail -n 1`,
    "  i=$((i+1))",
    "done",
    "sync",
    "echo writer done",
  ].join("\n");
}

/** Toggle every CPU but cpu0 offline and online, `rounds` times. */
export function hotplugScript(w: Workload): string {
  return [
    "n=0",
    `while [ $n -lt ${w.hotplugRounds} ]; do`,
    "  for c in /sys/devices/system/cpu/cpu[1-9]*; do",
    "    echo 0 > $c/online && echo 1 > $c/online || echo \"toggle $c failed\"",
    "  done",
    "  n=$((n+1))",
    "done",
    "echo hotplug done: $n rounds",
  ].join("\n");
}

/**
 * Run writer and hotplug toggler at once. A timeout is a hang; a dropped connection is
 * "lost" (the caller tells a dead guest from a wedged one); a failing command an error.
 */
export async function runMemcgHotplug(shell: Pick<GuestShell, "exec">, w: Workload): Promise<WorkloadOutcome> {
  const started = Date.now();
  const setup = await shell.exec(setupScript(w), 60000);
  if (setup.code !== 0) {
    return {
      status: setup.timedOut ? "hang" : setup.code === null ? "lost" : "error",
      durationMs: Date.now() - started,
      output: setup.stdout + setup.stderr,
      reason: setup.timedOut ? "workload setup did not finish in 60 s" : setup.code === null ? LOST : `workload setup failed (exit ${setup.code}): ${setup.stderr.trim()}`,
    };
  }
  const timeoutMs = w.timeoutSec * 1000;
  const jobs = [shell.exec(writerScript(w), timeoutMs)];
  if (w.hotplugRounds > 0) jobs.push(shell.exec(hotplugScript(w), timeoutMs));
  const results = await Promise.all(jobs);
  return outcomeOf(results, started, setup.stdout, w.timeoutSec);
}
