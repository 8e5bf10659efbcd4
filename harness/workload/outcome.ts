import type { ExecResult } from "../vm/ssh.js";

export type WorkloadOutcome =
  | { status: "completed"; durationMs: number; output: string }
  | { status: "hang" | "lost" | "error"; durationMs: number; output: string; reason: string };

export const LOST = "the SSH connection to the guest dropped (it stopped answering, or died)";

/**
 * One workload ending from the guest commands that ran at once: a timeout is a hang, a
 * dropped connection is "lost" (the caller tells a dead guest from a wedged one), a
 * failing command an error.
 */
export function outcomeOf(results: ExecResult[], started: number, before: string, timeoutSec: number): WorkloadOutcome {
  const output = [before, ...results.map((r) => r.stdout + r.stderr)].join("");
  const durationMs = Date.now() - started;
  if (results.some((r) => r.timedOut)) {
    return { status: "hang", durationMs, output, reason: `workload did not finish within ${timeoutSec} s` };
  }
  if (results.some((r) => r.code === null)) return { status: "lost", durationMs, output, reason: LOST };
  const failed = results.find((r) => r.code !== 0);
  if (failed) return { status: "error", durationMs, output, reason: `workload command exited ${failed.code}: ${failed.stderr.trim()}` };
  return { status: "completed", durationMs, output };
}
