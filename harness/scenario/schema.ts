import { z } from "zod";
import { ARCH_NAMES, ArchNameSchema, DEFAULT_ARCH, isArchName } from "../core/arch.js";
import { VerdictNameSchema } from "../records/common.js";
import { SourceSpecSchema } from "../source/registry.js";
import { WorkloadSchema } from "../workload/schema.js";

/** A kernel recipe (kernels/<name>.yaml): where the source comes from and how to configure it. */
export const KernelRecipeSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  /** Where the source comes from: a kind from the source registry (tarball, git, dir). */
  source: SourceSpecSchema,
  /** The make target that gives the base config, e.g. tinyconfig. */
  base: z.string().default("tinyconfig"),
  /** Fragments merged in order: paths relative to kernels/, or `tree:<path>` inside the source tree. */
  fragments: z.array(z.string()).default([]),
  /**
   * The arches this recipe is known to build and boot on (each adds its arch fragments); doctor sets up their
   * toolchains.
   */
  arches: z.array(ArchNameSchema).min(1).default([DEFAULT_ARCH]),
});
export type KernelRecipe = z.infer<typeof KernelRecipeSchema>;

export const VariantSchema = z.strictObject({
  description: z.string().optional(),
  /**
   * Patch files relative to the scenario directory, applied in order on the pristine
   * source: one list for every kernel, or lists per target (a port): keyed by a kernel
   * recipe name, an arch, or "kernel/arch" (see `forTarget`).
   */
  patches: z.union([z.array(z.string()), z.record(z.string(), z.array(z.string()))]),
});

export const VmSchema = z.strictObject({
  cpus: z.number().int().min(1).max(64).default(4),
  memoryMiB: z.number().int().min(128).default(1024),
  diskMiB: z.number().int().min(16).default(1024),
  bootTimeoutSec: z.number().int().min(10).default(240),
  /** Extra kernel parameters, e.g. shorter detector thresholds (sysctl.kernel.hung_task_timeout_secs=10). */
  cmdline: z.array(z.string().regex(/^\S+$/, "one parameter per entry, without spaces")).default([]),
  /**
   * Runs after a kernel's first start from its booted snapshot (saved once the guest is ready)
   * instead of booting. Off for a bug that depends on what happens during boot (README).
   */
  restore: z.boolean().default(true),
});

export const ScenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    description: z.string(),
    /** The kernel recipe `run` uses unless told otherwise (--kernel, a matrix). */
    kernel: z.string(),
    /** Config options (without CONFIG_) that must be =y in the final .config. */
    requireConfig: z.array(z.string().regex(/^[A-Z0-9_]+$/)),
    /** Scenario-specific fragments, relative to the scenario directory. */
    fragments: z.array(z.string()).default([]),
    /**
     * A .config to start from (relative to the scenario directory) instead of the recipe's base target; the
     * fragments go on top.
     */
    baseConfig: z.string().optional(),
    baseline: z.string(),
    variants: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/), VariantSchema),
    vm: VmSchema.prefault({}),
    workload: WorkloadSchema,
    /** The most fresh boots a variant gets; runs stop earlier once its verdict is decided. */
    maxRuns: z.number().int().min(1).default(10),
    /**
     * What each fix is expected to get, on every target or per target (a fix can be enough on
     * one kernel or arch and not on another), keyed as the patches are: a kernel recipe name,
     * an arch, or "kernel/arch". A mismatch is reported, and the exit code says so.
     */
    expect: z.record(z.string(), z.union([VerdictNameSchema, z.record(z.string(), VerdictNameSchema)])).default({}),
    /** Whether the baseline is expected to show splats (a bug) or to be clean (a self-test). */
    baselineExpect: z.enum(["REPRODUCES", "CLEAN"]).default("REPRODUCES"),
  })
  .superRefine((s, ctx) => {
    if (!(s.baseline in s.variants)) {
      ctx.addIssue({
        code: "custom",
        path: ["baseline"],
        message: `baseline "${s.baseline}" is not one of the variants (${Object.keys(s.variants).join(", ")})`,
      });
    }
    for (const v of Object.keys(s.expect)) {
      if (!(v in s.variants) || v === s.baseline) {
        ctx.addIssue({ code: "custom", path: ["expect", v], message: `"${v}" is not a fix variant of this scenario` });
      }
    }
    // Per-target keys: a kernel recipe, an arch, or "kernel/arch"; a misspelt arch would silently never match.
    const perTarget = [
      ...Object.entries(s.variants).map(([v, d]) => ({ path: ["variants", v, "patches"], map: d.patches })),
      ...Object.entries(s.expect).map(([v, e]) => ({ path: ["expect", v], map: e })),
    ];
    for (const { path, map } of perTarget) {
      if (typeof map !== "object" || Array.isArray(map)) continue;
      for (const key of Object.keys(map).filter((k) => k.includes("/") && !isArchName(k.split("/")[1]!))) {
        ctx.addIssue({
          code: "custom",
          path: [...path, key],
          message: `"${key}" is not "kernel/arch" with an arch of ${ARCH_NAMES.join(", ")}`,
        });
      }
    }
  });
export type Scenario = z.infer<typeof ScenarioSchema>;
