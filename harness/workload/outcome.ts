import type { ExecResult } from "../vm/ssh.js";

export type WorkloadOutcome =
  | { status: "completed"; durationMs: number; output: string }
  | { status: "hang" | "lost" | "error"; durationMs: number; output: string; reason: string };

export type WorkloadFailure = Exclude<WorkloadOutcome, { status: "completed" }>;

export const LOST = "the SSH connection to the guest dropped (it stopped answering, or died)";

/** One guest command of a step, and how it ended. */
export interface Ran {
  step: string;
  phase: "setup" | "run";
  result: ExecResult;
}

/**
 * How commands that ran at once went wrong, if they did: a timeout is a hang, a dropped
 * connection is "lost" (the caller tells a dead guest from a wedged one), a failing command
 * an error. `timeoutSec` is the one the commands had.
 */
export function failureOf(ran: Ran[], timeoutSec: number): Omit<WorkloadFailure, "durationMs" | "output"> | undefined {
  const timedOut = ran.find((r) => r.result.timedOut);
  if (timedOut) {
    const what = timedOut.phase === "setup" ? `${timedOut.step} setup` : "workload";
    return { status: "hang", reason: `${what} did not finish within ${timeoutSec} s` };
  }
  if (ran.some((r) => r.result.code === null)) return { status: "lost", reason: LOST };
  const failed = ran.find((r) => r.result.code !== 0);
  if (!failed) return undefined;
  const what = failed.phase === "setup" ? `${failed.step} setup` : `workload step ${failed.step}`;
  return { status: "error", reason: `${what} exited ${failed.result.code}: ${failed.result.stderr.trim()}` };
}
