import { z } from "zod";

/**
 * completed: the workload finished, or the watch ended it early (a decided first report, a
 * clean trial window); crash: the guest died during it, or a workload command failed after the
 * kernel reported; hang: it timed out, or the guest stopped answering while the VM ran on;
 * boot-failure: the kernel never reached the guest; error: a workload command failed with no
 * report on the console; infra: the host failed (QEMU, a port, SSH), never evidence. A kernel
 * that did not build has no runs: its cell is failed.
 */
export const RunStatusSchema = z.enum(["completed", "crash", "hang", "boot-failure", "error", "infra"]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/**
 * How a run's guest started: a cold boot; a cold boot saved as the booted snapshot that later
 * runs of the kernel and shape restore; or restored from that snapshot.
 */
export const BootStartSchema = z.enum(["cold", "saved", "restored"]);
export type BootStart = z.infer<typeof BootStartSchema>;

/**
 * INCONCLUSIVE: the baseline reproduced, the fix showed none of its bugs, and FIXED's calibrated
 * test has not passed: not yet, or it cannot within max runs (then it is final).
 */
export const VerdictNameSchema = z.enum([
  "FIXED",
  "NOT FIXED",
  "NOT REPRODUCED",
  "REGRESSED",
  "BROKEN",
  "INCONCLUSIVE",
]);
export type VerdictName = z.infer<typeof VerdictNameSchema>;

/** Where every results record (run, matrix, bisection) stands: running, then how it ended. */
export const OutcomeStatusSchema = z.enum(["running", "completed", "interrupted", "failed"]);

export const HostRecordSchema = z.object({
  hostname: z.string(),
  /** The host's arch (the arch table's name, make's ARCH); each cell and build records the arch it is for. */
  arch: z.string().optional(),
  cpus: z.number(),
  memoryMiB: z.number(),
  node: z.string(),
  qemu: z.string().optional(),
  toolchain: z.string().optional(),
});
export type HostRecord = z.infer<typeof HostRecordSchema>;

/** The accelerator a run used and why (also the per-host cache entry of the KVM probe). */
export const AccelChoiceSchema = z.object({
  accel: z.enum(["kvm", "tcg"]),
  cpuModel: z.string().optional(),
  reason: z.string(),
  probedAt: z.string(),
  hostKey: z.string(),
});
export type AccelChoice = z.infer<typeof AccelChoiceSchema>;
export type Accel = AccelChoice["accel"];
