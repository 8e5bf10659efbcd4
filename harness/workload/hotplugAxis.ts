import type { Workload } from "./schema.js";

/** Whether the workload takes CPUs offline and online (the matrix's hotplug axis). */
export function hasHotplug(workload: Workload): boolean {
  return workload.steps.some((s) => s.step === "hotplug");
}

/**
 * The workload for one side of the matrix's hotplug axis: off drops its hotplug steps;
 * on keeps it as written (a workload without a hotplug step has no rounds to add).
 */
export function withHotplug(workload: Workload, on: boolean): Workload {
  return on ? workload : { ...workload, steps: workload.steps.filter((s) => s.step !== "hotplug") };
}
