import { z } from "zod";
import { defineStep } from "../step.js";

export const ScriptStepSchema = z.strictObject({
  step: z.literal("script"),
  /** Guest shell (busybox ash) commands, run as written. */
  script: z.string().min(1),
});

/** A scenario's own guest commands, for a bug that needs a stress no step offers. */
export const scriptStep = defineStep("script", ScriptStepSchema, (p) => ({ run: p.script }));
