import { calibrate, describeProcedure } from "../verdict/calibrate.js";
import { DEFAULT_WINDOW } from "../verdict/window.js";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ARCHES } from "../core/arch.js";
import { UserError } from "../core/errors.js";
import { sha256 } from "../core/hash.js";
import { resultsRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { buildKey, cellId, expandCells, newCell, shardCells, type CellKey, type Shard } from "../matrix/expand.js";
import { chooseJobs } from "../matrix/jobs.js";
import { loadMatrix, type LoadedMatrix } from "../matrix/load.js";
import { runInterruptible } from "../core/interrupt.js";
import { checkCells } from "../pipeline/cells.js";
import { executeCells } from "../pipeline/execute.js";
import { hostRecord, newRunId } from "../pipeline/identity.js";
import { cellAbout, expectOf, inputOf, newRunFile, reopened } from "../pipeline/plan.js";
import type { Accel } from "../records/common.js";
import { readRecord } from "../records/read.js";
import { RUN_FILE_NAME, RunFileSchema, targetKey, type CellRecord, type RunFile, type ShardRecord } from "../records/run.js";
import { runExitCode } from "../verdict/groups.js";
import { vmImplementation } from "../vm/registry.js";
import type { VmImplementation } from "../vm/types.js";

export interface MatrixOptions {
  file: string;
  jobs?: number;
  shard?: Shard;
  /** Finish the missing cells of this earlier run. */
  resume?: string;
  accel?: Accel;
  runId?: string;
  vm?: string;
  /** How sure a verdict must be (default 0.95). */
  confidence?: number;
  /** The share of the bug's rate that FIXED must also rule out (default 1: no change at all). */
  residual?: number;
}

/**
 * The cells of a resumed run: every cell the run had keeps its record, runs included (each
 * run is evidence, and the stopping rules go on from there); cells new in the matrix start.
 */
export function resumeCells(fresh: CellRecord[], prior: CellRecord[]): CellRecord[] {
  const kept = new Map(prior.map((c) => [c.id, c]));
  return fresh.map((c) => kept.get(c.id) ?? c);
}

/** Every cell of the matrix (or of one shard), pending; `keys` are the whole matrix's. */
function matrixCells(m: LoadedMatrix, shard?: Shard): { cells: CellRecord[]; keys: CellKey[] } {
  const { kernels, arches, variants, cpus, hotplug } = m.matrix;
  const { exclude } = m;
  const scenarios = m.matrix.scenarios.map((name) => {
    const s = [...m.loaded.values()].find((l) => l.scenario.name === name)!.scenario;
    return { name, baseline: s.baseline, variants: Object.keys(s.variants) };
  });
  const axes = { scenarios, kernels, arches, ...(variants && { variants }), cpus, hotplug: hotplug.map((h) => h === "on"), exclude };
  const keys = expandCells(axes);
  const cells = (shard ? shardCells(keys, shard) : keys).map((k) => {
    const loaded = m.loaded.get(targetKey(k))!;
    return newCell(k, loaded.scenario.baseline, m.matrix.maxRuns ?? loaded.scenario.maxRuns, buildKey(k), cellAbout(loaded.scenario, k));
  });
  return { cells, keys };
}

/** The shard as its record keeps it: with every shard's cells, for a merge to check that all reported. */
export function shardRecord(keys: CellKey[], shard: Shard): ShardRecord {
  const cells = Array.from({ length: shard.count }, (_, i) => shardCells(keys, { index: i + 1, count: shard.count }).map(cellId));
  return { ...shard, cells };
}

async function resumedRun(m: LoadedMatrix, id: string, cells: CellRecord[], progress: Progress): Promise<RunFile> {
  const prior = await readRecord(RunFileSchema, path.join(resultsRoot(), id, RUN_FILE_NAME.matrix), "matrix run record");
  if (prior.kind !== "matrix") throw new UserError(`run ${id} is not a matrix run`, `list matrix runs with: ls ${resultsRoot()}`);
  if (prior.input.sha256 !== sha256(m.text)) progress.info(`warning: ${m.file} changed since run ${id}; cells are matched by id`);
  return { ...reopened(prior), cells: resumeCells(cells, prior.cells) };
}

async function newMatrixRun(m: LoadedMatrix, opts: MatrixOptions, { cells, keys }: ReturnType<typeof matrixCells>, vm: VmImplementation): Promise<RunFile> {
  const id = opts.runId ?? `${newRunId(`matrix-${m.matrix.name}`)}${opts.shard ? `-shard${opts.shard.index}of${opts.shard.count}` : ""}`;
  const expect = Object.fromEntries([...m.loaded.entries()].map(([key, loaded]) => [key, expectOf(loaded)]));
  const maxRuns = Math.max(...cells.map((c) => c.maxRuns));
  const host = await hostRecord(vm, ARCHES[m.matrix.arches[0]!]);
  const settings = { confidence: opts.confidence ?? 0.95, maxRuns, residual: opts.residual ?? 1, window: DEFAULT_WINDOW };
  const run = newRunFile({ kind: "matrix", id, input: inputOf(m.matrix.name, m.file, m.text), host, cells, expect, settings });
  return { ...run, ...(opts.shard && { shard: shardRecord(keys, opts.shard) }) };
}

/**
 * `kharness matrix`: expand the matrix into cells and hand them to the one cell runner.
 * A failing cell is recorded with its reason and the run goes on.
 */
export async function matrixCommand(opts: MatrixOptions, progress: Progress): Promise<{ run: RunFile; dir: string; exitCode: number }> {
  const m = await loadMatrix(opts.file);
  const vm = vmImplementation(opts.vm ?? "qemu");
  const planned = matrixCells(m, opts.shard);
  const run = opts.resume ? await resumedRun(m, opts.resume, planned.cells, progress) : await newMatrixRun(m, opts, planned, vm);
  // The input is checked before the run starts: a matrix with bad input gets no results folder.
  await runInterruptible("the checks of the input", progress, () => checkCells(run.cells, m.loaded, progress));
  const dir = path.join(resultsRoot(), run.id);
  await fs.mkdir(dir, { recursive: true });
  const vmMiB = Math.max(...run.cells.map((c) => m.loaded.get(targetKey(c))!.scenario.vm.memoryMiB));
  run.jobs = opts.jobs ? { count: opts.jobs, reason: `--jobs ${opts.jobs}` } : chooseJobs(os.cpus().length, Math.round(os.freemem() / 2 ** 20), vmMiB);
  const todo = run.cells.filter((c) => c.status === "pending").length;
  progress.info(`matrix ${run.id}: ${run.cells.length} cell(s)${opts.shard ? ` (shard ${opts.shard.index}/${opts.shard.count} of ${planned.keys.length})` : ""}, ${todo} to run; ${run.jobs.reason}; results in ${dir}`);
  progress.info(describeProcedure(calibrate(run.settings.maxRuns, run.settings.confidence, run.settings.residual)));
  const howToContinue = (sig: NodeJS.Signals, killed: number) => `${sig}; ${killed} child process(es) killed; finish with: kharness matrix ${m.file} --resume ${run.id}`;
  await executeCells({ run, dir, scenarios: m.loaded, jobs: run.jobs.count, vm, ...(opts.accel && { accel: opts.accel }) }, progress, howToContinue);
  return { run, dir, exitCode: runExitCode(run) };
}
