import { z } from "zod";
import { schemasOf } from "../core/schemas.js";
import { WORKLOAD_STEPS } from "./registry.js";

const stepNames = WORKLOAD_STEPS.map((s) => s.name).join(", ");
const givenStep = (entry: unknown) =>
  typeof entry === "object" && entry !== null && "step" in entry
    ? `unknown step ${JSON.stringify(entry.step)}`
    : "no step";

/** One entry of `workload.steps`: the `step` field picks the schema from the registry. */
export const WorkloadStepSchema = z.discriminatedUnion("step", schemasOf(WORKLOAD_STEPS), {
  error: (issue) =>
    issue.code === "invalid_union" ? `${givenStep(issue.input)}: write step: with one of ${stepNames}` : undefined,
});
export type WorkloadStep = z.infer<typeof WorkloadStepSchema>;

const SHAPE_HINT =
  "a workload is { mode: together | sequence, timeoutSec, steps: [{ step: NAME, ...its fields }] }; " +
  "the old kind: memcg-writeback-hotplug is steps memcg-writer (memoryMax, files, fileMiB) " +
  "and hotplug (rounds = hotplugRounds)";

export const WorkloadSchema = z.strictObject(
  {
    /** together: every step at once (after all setups); sequence: one step after another. */
    mode: z.enum(["together", "sequence"]).default("together"),
    /** For the steps' work together (setups have their own); past it the run is a hang. */
    timeoutSec: z.number().int().min(10),
    /** No progress line for this long while the guest does not answer over SSH: a wedged guest, recorded as a hang. */
    wedgeSec: z.number().int().min(5).default(30),
    /**
     * After the run's first report ends, keep this long for its cascade, then stop the run (0: run the whole
     * workload).
     */
    tailSec: z.number().int().min(0).default(3),
    steps: z.array(WorkloadStepSchema).min(1, "list at least one step"),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}: ${SHAPE_HINT}` : undefined,
  },
);
export type Workload = z.infer<typeof WorkloadSchema>;
