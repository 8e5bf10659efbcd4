import { z } from "zod";
import { defineStep, guestScript } from "../step.js";

export const HotplugStepSchema = z.strictObject({
  step: z.literal("hotplug"),
  /** Rounds of taking each CPU offline and back online (the default scenario's 40 by default). */
  rounds: z.number().int().min(1).default(40),
  /** The CPUs to toggle, by number; every CPU but cpu0 when absent. */
  cpus: z
    .array(z.number().int().min(1, "cpu0 cannot go offline on x86_64: list CPUs from 1"))
    .min(1, "list at least one CPU, or leave cpus out to toggle every CPU but cpu0")
    .optional(),
});

/** CPU hotplug: makes cpus_read_lock() users sleep on the hotplug percpu rwsem. */
export const hotplugStep = defineStep("hotplug", HotplugStepSchema, (p) => ({
  run: guestScript("hotplug.sh", { HOTPLUG_ROUNDS: p.rounds, HOTPLUG_CPUS: (p.cpus ?? []).join(" ") }),
}));
