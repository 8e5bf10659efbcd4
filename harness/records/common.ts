import { z } from "zod";

/**
 * completed: the workload finished; crash: the guest died during it; hang: it stopped
 * progressing; boot-failure: the kernel never reached the guest; error: the workload failed
 * or the kernel was not built; infra: the host failed (QEMU, a port, SSH), never evidence.
 */
export const RunStatusSchema = z.enum(["completed", "crash", "hang", "boot-failure", "error", "infra"]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/**
 * How a run's guest started: a cold boot; a cold boot saved as the booted snapshot that later
 * runs of the kernel and shape restore; or restored from that snapshot.
 */
export const BootStartSchema = z.enum(["cold", "saved", "restored"]);
export type BootStart = z.infer<typeof BootStartSchema>;

/** INCONCLUSIVE: clean so far, but too few runs for FIXED at the baseline's rate bound. */
export const VerdictNameSchema = z.enum(["FIXED", "NOT FIXED", "NOT REPRODUCED", "REGRESSED", "BROKEN", "INCONCLUSIVE"]);
export type VerdictName = z.infer<typeof VerdictNameSchema>;

/** How every results record (run, matrix, bisection) ended. */
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
