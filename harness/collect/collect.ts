import type { ExecResult } from "../vm/ssh.js";
import type { GuestShellLike } from "../vm/types.js";

export interface Evidence {
  /** dmesg read over SSH, or undefined when the guest no longer answered. */
  dmesg?: string;
  notes: string[];
}

/** A command on a guest that may have stopped answering: a lost connection is a result too. */
function tryExec(shell: GuestShellLike, command: string, timeoutMs: number): Promise<ExecResult> {
  return shell
    .exec(command, timeoutMs)
    .catch((e: Error) => ({ code: null, stdout: "", stderr: e.message, timedOut: false }));
}

const why = (r: ExecResult) => (r.timedOut ? " (timed out)" : `: ${r.stderr.trim()}`);

/** How long dmesg may take: a guest that answers does so in well under a second. */
export const DMESG_TIMEOUT_MS = 30_000;
/**
 * For a guest whose console already holds a report: its kernel is tainted, the cascade may
 * keep it from answering (30 s timeouts were seen while it printed), and the console has the report.
 */
export const TAINTED_DMESG_TIMEOUT_MS = 5_000;

/**
 * Read what the guest can still tell. After a hang, ask for blocked-task and all-CPU
 * backtraces first (sysrq w and l) so the console holds the stacks of the hang.
 */
export async function collectEvidence(
  shell: GuestShellLike,
  hung: boolean,
  dmesgTimeoutMs = DMESG_TIMEOUT_MS,
): Promise<Evidence> {
  const notes: string[] = [];
  if (hung) {
    const sysrq = await tryExec(shell, "echo w > /proc/sysrq-trigger; echo l > /proc/sysrq-trigger", 10000);
    if (sysrq.code !== 0) notes.push(`sysrq over SSH failed${why(sysrq)}`);
    await new Promise((r) => setTimeout(r, 3000));
  }
  const dmesg = await tryExec(shell, "dmesg", dmesgTimeoutMs);
  if (dmesg.code === 0) return { dmesg: dmesg.stdout, notes };
  notes.push(`dmesg could not be read${why(dmesg)}; the console log is the only record`);
  return { notes };
}
