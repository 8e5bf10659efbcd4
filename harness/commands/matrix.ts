import type { Progress } from "../core/progress.js";
import { executeCells } from "../pipeline/execute.js";
import { plannedMatrix, type MatrixRequest } from "../pipeline/matrixPlan.js";
import type { Accel } from "../records/common.js";
import type { RunFile } from "../records/run.js";
import { calibrate, describeProcedure } from "../verdict/calibrate.js";
import { exitCodeOf } from "../verdict/groups.js";
import { DEFAULT_VM, vmImplementation } from "../vm/registry.js";

export interface MatrixOptions extends MatrixRequest {
  file: string;
  jobs?: number;
  accel?: Accel;
}

/**
 * `kharness matrix`: the matrix planned into cells and checked, then handed to the one cell
 * runner. A failing cell is recorded with its reason and the run goes on.
 */
export async function matrixCommand(
  opts: MatrixOptions,
  progress: Progress,
): Promise<{ run: RunFile; dir: string; exitCode: number }> {
  const vm = vmImplementation(DEFAULT_VM);
  const { m, run, dir, prepared, jobs, accel } = await plannedMatrix(opts, vm, progress);
  const todo = run.cells.filter((c) => c.status === "pending").length;
  const shard = run.shard ? ` (shard ${run.shard.index}/${run.shard.count} of ${run.shard.cells.flat().length})` : "";
  progress.info(
    `matrix ${run.id}: ${run.cells.length} cell(s)${shard}, ${todo} to run; ${run.jobs?.reason}; results in ${dir}`,
  );
  progress.info(describeProcedure(calibrate(run.settings.maxRuns, run.settings.confidence, run.settings.residual)));
  const howToContinue = (sig: NodeJS.Signals, killed: number) =>
    `${sig}; ${killed} child process(es) killed; finish with: kharness matrix ${m.file} --resume ${run.id}`;
  const ctx = { run, dir, scenarios: m.loaded, prepared, jobs, vm, ...(accel && { accel }) };
  await executeCells(ctx, progress, howToContinue);
  return { run, dir, exitCode: exitCodeOf(run) };
}
