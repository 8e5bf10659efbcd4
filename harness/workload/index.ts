/** The workload stage: what the rest of kharness imports from harness/workload. */
export { hasHotplug, withHotplug } from "./hotplugAxis.js";
export type { WorkloadOutcome } from "./outcome.js";
export { WORKLOAD_STEPS } from "./registry.js";
export { WorkloadSchema, WorkloadStepSchema, type Workload, type WorkloadStep } from "./schema.js";
export { describeWorkload, diskFormat, runWorkload, stepLine, workloadLine } from "./workload.js";
