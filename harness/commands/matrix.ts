import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { resultsRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { chooseJobs } from "../matrix/jobs.js";
import { loadMatrix } from "../matrix/load.js";
import { runInterruptible } from "../core/interrupt.js";
import { checkCells } from "../pipeline/cells.js";
import { executeCells } from "../pipeline/execute.js";
import { planMatrixRun, type MatrixRequest } from "../pipeline/matrixPlan.js";
import type { Accel } from "../records/common.js";
import { targetKey, type RunFile } from "../records/run.js";
import { calibrate, describeProcedure } from "../verdict/calibrate.js";
import { exitCodeOf } from "../verdict/groups.js";
import { vmImplementation } from "../vm/registry.js";

export interface MatrixOptions extends MatrixRequest {
  file: string;
  jobs?: number;
  accel?: Accel;
  vm?: string;
}

/**
 * `kharness matrix`: expand the matrix into cells and hand them to the one cell runner.
 * A failing cell is recorded with its reason and the run goes on.
 */
export async function matrixCommand(opts: MatrixOptions, progress: Progress): Promise<{ run: RunFile; dir: string; exitCode: number }> {
  const m = await loadMatrix(opts.file);
  const vm = vmImplementation(opts.vm ?? "qemu");
  const run = await planMatrixRun(m, opts, vm);
  // The input is checked before the run starts: a matrix with bad input gets no results folder.
  await runInterruptible("the checks of the input", progress, () => checkCells(run.cells, m.loaded, progress, opts.accel));
  const dir = path.join(resultsRoot(), run.id);
  await fs.mkdir(dir, { recursive: true });
  const vmMiB = Math.max(...run.cells.map((c) => m.loaded.get(targetKey(c))!.scenario.vm.memoryMiB));
  run.jobs = opts.jobs ? { count: opts.jobs, reason: `--jobs ${opts.jobs}` } : chooseJobs(os.cpus().length, Math.round(os.freemem() / 2 ** 20), vmMiB);
  const todo = run.cells.filter((c) => c.status === "pending").length;
  const shard = run.shard ? ` (shard ${run.shard.index}/${run.shard.count} of ${run.shard.cells.flat().length})` : "";
  progress.info(`matrix ${run.id}: ${run.cells.length} cell(s)${shard}, ${todo} to run; ${run.jobs.reason}; results in ${dir}`);
  progress.info(describeProcedure(calibrate(run.settings.maxRuns, run.settings.confidence, run.settings.residual)));
  const howToContinue = (sig: NodeJS.Signals, killed: number) => `${sig}; ${killed} child process(es) killed; finish with: kharness matrix ${m.file} --resume ${run.id}`;
  await executeCells({ run, dir, scenarios: m.loaded, jobs: run.jobs.count, vm, ...(opts.accel && { accel: opts.accel }) }, progress, howToContinue);
  return { run, dir, exitCode: exitCodeOf(run) };
}
