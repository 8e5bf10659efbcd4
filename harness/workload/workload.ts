import type { DiskFormat } from "../vm/disk.js";
import type { GuestShell } from "../vm/ssh.js";
import { failureOf, type Ran, type WorkloadOutcome } from "./outcome.js";
import { WORKLOAD_STEPS } from "./registry.js";
import type { Workload, WorkloadStep } from "./schema.js";
import type { StepPlan } from "./step.js";

/** A setup prepares the guest in seconds; one that takes longer than this is wedged. */
export const SETUP_TIMEOUT_SEC = 60;

/** Guest commands started at once, each on its own SSH exec channel. */
export interface Phase {
  phase: "setup" | "run";
  commands: { step: string; script: string }[];
}

function planOf(step: WorkloadStep): StepPlan & { step: string } {
  const definition = WORKLOAD_STEPS.find((d) => d.name === step.step)!;
  // The union schema picked this definition's schema by the same `step` name.
  return { step: step.step, ...definition.plan(step as never) };
}

/**
 * The workload as phases run one after another. together: every setup in step order,
 * then every step's work at once; sequence: each step's setup and then its work.
 */
export function phasesOf(workload: Workload): Phase[] {
  const plans = workload.steps.map(planOf);
  const setup = (p: (typeof plans)[number]): Phase[] =>
    p.setup ? [{ phase: "setup", commands: [{ step: p.step, script: p.setup }] }] : [];
  const run = (ps: typeof plans): Phase => ({
    phase: "run",
    commands: ps.map((p) => ({ step: p.step, script: p.run })),
  });
  return workload.mode === "together"
    ? [...plans.flatMap(setup), run(plans)]
    : plans.flatMap((p) => [...setup(p), run([p])]);
}

/** The disk the workload's steps need at /dev/vda (blank when none asks for a filesystem). */
export function diskFormat(workload: Workload): DiskFormat | undefined {
  return workload.steps.map(planOf).find((p) => p.disk)?.disk;
}

/** A short name for progress lines, e.g. "memcg-writer + hotplug". */
export function describeWorkload(workload: Workload): string {
  return workload.steps.map((s) => s.step).join(workload.mode === "together" ? " + " : ", then ");
}

/** One step as --workload takes it: "hotplug:rounds=40", "memcg-writer:memoryMax=64M,files=1". */
export function stepLine(step: WorkloadStep): string {
  const { step: name, ...fields } = step;
  const values = Object.entries(fields).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`);
  return values.length ? `${name}:${values.join(",")}` : name;
}

/**
 * The workload in one line, for records and replies: its steps as --workload writes them, how they run, and
 * the time limit.
 */
export function workloadLine(workload: Workload): string {
  const steps = workload.steps.map(stepLine).join(workload.mode === "together" ? " + " : ", then ");
  return `${steps} (${workload.mode}, up to ${workload.timeoutSec} s)`;
}

/**
 * Run the scenario's workload on a booted guest; every ending is a value. Setups have
 * SETUP_TIMEOUT_SEC each; the steps' work shares `timeoutSec`, in either mode. `onOutput`
 * sees the guest's output as it arrives: its progress lines tell a working guest from a wedged one.
 */
export async function runWorkload(
  shell: Pick<GuestShell, "exec">,
  workload: Workload,
  onOutput?: (chunk: string) => void,
): Promise<WorkloadOutcome> {
  const started = Date.now();
  let output = "";
  let runBudgetMs = workload.timeoutSec * 1000;
  for (const { phase, commands } of phasesOf(workload)) {
    const timeoutMs = phase === "setup" ? SETUP_TIMEOUT_SEC * 1000 : runBudgetMs;
    const phaseStarted = Date.now();
    const results = await Promise.all(commands.map((c) => shell.exec(c.script, timeoutMs, onOutput)));
    if (phase === "run") runBudgetMs -= Date.now() - phaseStarted;
    output += results.map((r) => r.stdout + r.stderr).join("");
    const ran: Ran[] = commands.map((c, i) => ({ step: c.step, phase, result: results[i]! }));
    const failure = failureOf(ran, phase === "setup" ? SETUP_TIMEOUT_SEC : workload.timeoutSec);
    if (failure) return { ...failure, durationMs: Date.now() - started, output };
  }
  return { status: "completed", durationMs: Date.now() - started, output };
}
