import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { resultsRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { describeRun } from "../pipeline/dryRun.js";
import { executeCells } from "../pipeline/execute.js";
import { newRunId } from "../pipeline/identity.js";
import { plannedRun, type RunOptions } from "../pipeline/runPlan.js";
import type { RunFile } from "../records/run.js";
import { summaryLines } from "../report/summary.js";
import { describeSource } from "../source/registry.js";
import { calibrate, describeProcedure } from "../verdict/calibrate.js";
import { exitCodeOf } from "../verdict/groups.js";
import { DEFAULT_VM, vmImplementation } from "../vm/registry.js";

export type { RunOptions };

/**
 * `kharness run`: a matrix of one group (the scenario's variants on its kernel and guest shape), judged and
 * summed up.
 */
export async function runCommand(
  opts: RunOptions,
  progress: Progress,
): Promise<{ run: RunFile; dir: string; exitCode: number }> {
  const id = opts.resume ?? opts.runId ?? newRunId(path.basename(opts.scenario || path.resolve(opts.tree ?? "tree")));
  const dir = path.join(resultsRoot(), id);
  const vm = vmImplementation(DEFAULT_VM);
  const { run, loaded, scenarios, prepared, accel } = await plannedRun(opts, id, dir, vm, progress);
  const variants = run.cells.map((c) => c.variant);
  progress.info(
    `run ${id}: ${loaded.scenario.name} on ${loaded.kernel.name} for ${loaded.arch.name} ` +
      `(${describeSource(loaded.kernel.source)}), variants ${variants.join(", ")}, ` +
      `up to ${run.settings.maxRuns} run(s) each until ${Math.round(run.settings.confidence * 100)}% sure; ` +
      `results in ${dir}`,
  );
  progress.info(describeProcedure(calibrate(run.settings.maxRuns, run.settings.confidence, run.settings.residual)));
  const howToContinue = (sig: NodeJS.Signals, killed: number) =>
    `${sig}; ${killed} child process(es) killed; finish with: kharness run --resume ${id}`;
  await executeCells({ run, dir, scenarios, prepared, jobs: 1, vm, ...(accel && { accel }) }, progress, howToContinue);
  progress.info(summaryLines(run, dir).join("\n"));
  progress.info(`\nresults: ${dir}`);
  return { run, dir, exitCode: exitCodeOf(run) };
}

/**
 * `kharness run --dry-run`: the run planned and checked as a real one is (the same errors),
 * in a scratch folder that is removed again; then the series, make and VM commands each
 * variant would get, and nothing run.
 */
export async function dryRunCommand(opts: RunOptions, progress: Progress): Promise<string> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-dry-run-"));
  try {
    const id = opts.resume ?? opts.runId ?? "dry-run";
    const vm = vmImplementation(DEFAULT_VM);
    const { run, loaded, prepared } = await plannedRun(opts, id, path.join(scratch, id), vm, progress);
    return describeRun(loaded, run, prepared, vm);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
