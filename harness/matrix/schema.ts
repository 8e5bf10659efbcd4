import { z } from "zod";
import { ArchNameSchema, DEFAULT_ARCH } from "../core/arch.js";

const onOff = z.enum(["on", "off"], { message: 'must be "on" or "off"' });

/** A matrix file (scenarios/<name>.yaml): the axes a nightly run expands into cells. */
export const MatrixSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "lower-case letters, digits, '.', '_' and '-'"),
  description: z.string().optional(),
  /** Scenario names (scenarios/<name>/scenario.yaml). */
  scenarios: z.array(z.string()).min(1),
  /** Kernel recipe names (kernels/<name>.yaml); each scenario must have patches for each. */
  kernels: z.array(z.string()).min(1),
  /** The arches each kernel is built for and booted on; each must be one of its recipe's arches. */
  arches: z.array(ArchNameSchema).min(1).default([DEFAULT_ARCH]),
  /** Variants to run (default: all of each scenario's); the baseline always runs. */
  variants: z.array(z.string()).min(1).optional(),
  cpus: z
    .array(z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)], { message: "must be one of 1, 2, 4, 8" }))
    .min(1),
  /** CPU hotplug stress on (the scenario's rounds) or off (none). */
  hotplug: z.array(onOff).min(1).default(["on"]),
  /**
   * Cells left out: each entry matches the cells that have all of its fields (e.g. a kernel
   * on an arch its recipe is not set up for), as in a CI job matrix's exclude.
   */
  exclude: z
    .array(
      z.strictObject({
        kernel: z.string().optional(),
        arch: ArchNameSchema.optional(),
        cpus: z.number().int().optional(),
        hotplug: onOff.optional(),
      }),
    )
    .default([]),
  /** The most fresh boots per cell (default: each scenario's maxRuns); a cell stops once its verdict is decided. */
  maxRuns: z.number().int().min(1).max(100).optional(),
});
export type Matrix = z.infer<typeof MatrixSchema>;
