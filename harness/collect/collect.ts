import type { Vm } from "../vm/vm.js";

export interface Evidence {
  /** dmesg read over SSH, or undefined when the guest no longer answered. */
  dmesg?: string;
  notes: string[];
}

/**
 * Read what the guest can still tell. After a hang, ask for blocked-task and all-CPU
 * backtraces first (sysrq w and l) so the console holds the stacks of the hang.
 */
export async function collectEvidence(vm: Vm, hung: boolean): Promise<Evidence> {
  const notes: string[] = [];
  if (hung) {
    const sysrq = await vm.shell.exec("echo w > /proc/sysrq-trigger; echo l > /proc/sysrq-trigger", 10000).catch((e: Error) => ({ timedOut: false, code: null, stderr: e.message }));
    if (sysrq.code !== 0) notes.push(`sysrq over SSH failed${sysrq.timedOut ? " (timed out)" : `: ${sysrq.stderr}`}`);
    await new Promise((r) => setTimeout(r, 3000));
  }
  const dmesg = await vm.shell.exec("dmesg", 30000).catch((e: Error) => ({ timedOut: false, code: null, stdout: "", stderr: e.message }));
  if (dmesg.code === 0) return { dmesg: dmesg.stdout, notes };
  notes.push(`dmesg could not be read${dmesg.timedOut ? " (timed out)" : `: ${dmesg.stderr.trim()}`}; the console log is the only record`);
  return { notes };
}
