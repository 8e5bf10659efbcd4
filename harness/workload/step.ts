import { readFileSync } from "node:fs";
import type { z } from "zod";
import { shellQuote } from "../core/shell.js";
import type { DiskFormat } from "../vm/disk.js";

/** What one step runs in the guest, each part over an SSH exec channel of its own. */
export interface StepPlan {
  /** Prepares the guest (a filesystem, a cgroup) before any step's `run` starts; it has its own short timeout. */
  setup?: string;
  /** The stress itself, under the workload's timeout. */
  run: string;
  /** The disk the step needs at /dev/vda: a new ext2 filesystem, made on the host before the boot. */
  disk?: DiskFormat;
}

/** One kind of workload step: the strict schema of its YAML entry and the guest commands it becomes. */
export interface WorkloadStepDefinition<Name extends string, Schema extends z.ZodType<{ step: Name }>> {
  name: Name;
  schema: Schema;
  plan(params: z.output<Schema>): StepPlan;
}

/** A step definition; the type ties `name` to the schema's `step` literal. */
export function defineStep<Name extends string, Schema extends z.ZodType<{ step: Name }>>(
  name: Name,
  schema: Schema,
  plan: (params: z.output<Schema>) => StepPlan,
): WorkloadStepDefinition<Name, Schema> {
  return { name, schema, plan };
}

const GUEST_DIR = new URL("./guest/", import.meta.url);

/**
 * A guest script from harness/workload/guest/, with its parameters as `export` lines in
 * front: the SSH exec channel runs the whole text in one guest shell (busybox ash).
 */
export function guestScript(file: string, env: Record<string, string | number>): string {
  const exports = Object.entries(env).map(([name, value]) => `export ${name}=${shellQuote([String(value)])}\n`);
  return exports.join("") + readFileSync(new URL(file, GUEST_DIR), "utf8");
}
