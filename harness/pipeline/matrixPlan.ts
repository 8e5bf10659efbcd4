import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ARCHES } from "../core/arch.js";
import { resultsRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { chooseJobs } from "../matrix/jobs.js";
import { loadMatrix } from "../matrix/load.js";
import type { Accel } from "../records/common.js";
import { buildKey, cellId, expandCells, newCell, shardCells, type CellKey, type Shard } from "../matrix/expand.js";
import type { LoadedMatrix } from "../matrix/load.js";
import { targetKey, type CellRecord, type RunFile, type ShardRecord } from "../records/run.js";
import { DEFAULT_WINDOW } from "../verdict/window.js";
import type { VmImplementation } from "../vm/types.js";
import { checkRun } from "./cells.js";
import { hostRecord, newRunId } from "./identity.js";
import type { PreparedVariant } from "./kernel.js";
import { cellAbout, expectOf, inputOf, newRunFile, reopened } from "./runRecord.js";
import { refuseChangedInput, replayedForced, resumableRecord, resumedShard } from "./resume.js";

/** What a matrix run is asked for on the command line, besides the matrix file. */
export interface MatrixRequest {
  shard?: Shard;
  /** Finish the missing cells of this earlier run (its shard and settings are replayed from its record). */
  resume?: string;
  runId?: string;
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
  const { kernels, arches, cpus } = m.matrix;
  const scenarios = m.matrix.scenarios.map((name) => {
    const s = [...m.loaded.values()].find((l) => l.scenario.name === name)!.scenario;
    return { name, baseline: s.baseline, variants: Object.keys(s.variants) };
  });
  const hotplug = m.matrix.hotplug.map((h) => h === "on");
  const variants = m.matrix.variants && { variants: m.matrix.variants };
  const keys = expandCells({ scenarios, kernels, arches, ...variants, cpus, hotplug, exclude: m.exclude });
  const cells = (shard ? shardCells(keys, shard) : keys).map((k) => {
    const loaded = m.loaded.get(targetKey(k))!;
    const maxRuns = m.matrix.maxRuns ?? loaded.scenario.maxRuns;
    return newCell(k, loaded.scenario.baseline, maxRuns, buildKey(k), cellAbout(loaded.scenario, k));
  });
  return { cells, keys };
}

/** The shard as its record keeps it: with every shard's cells, for a merge to check that all reported. */
export function shardRecord(keys: CellKey[], shard: Shard): ShardRecord {
  const shardIds = (index: number) => shardCells(keys, { index, count: shard.count }).map(cellId);
  const cells = Array.from({ length: shard.count }, (_, i) => shardIds(i + 1));
  return { ...shard, cells };
}

async function newMatrixRun(m: LoadedMatrix, req: MatrixRequest, vm: VmImplementation): Promise<RunFile> {
  const { cells, keys } = matrixCells(m, req.shard);
  const shardTag = req.shard ? `-shard${req.shard.index}of${req.shard.count}` : "";
  const id = req.runId ?? `${newRunId(`matrix-${m.matrix.name}`)}${shardTag}`;
  const expect = Object.fromEntries([...m.loaded.entries()].map(([key, loaded]) => [key, expectOf(loaded)]));
  const maxRuns = Math.max(...cells.map((c) => c.maxRuns));
  const settings = { confidence: req.confidence ?? 0.95, maxRuns, residual: req.residual ?? 1, window: DEFAULT_WINDOW };
  const input = inputOf(m.matrix.name, m.file, m.text);
  const run = newRunFile({
    kind: "matrix",
    id,
    input,
    host: await hostRecord(vm, ARCHES[m.matrix.arches[0]!]),
    cells,
    expect,
    settings,
  });
  return { ...run, ...(req.shard && { shard: shardRecord(keys, req.shard) }) };
}

/** An earlier matrix run to finish: the shard and settings its record was asked for, on the unchanged matrix. */
async function resumedMatrixRun(m: LoadedMatrix, id: string, asked: Shard | undefined): Promise<RunFile> {
  const prior = await resumableRecord("matrix", id);
  refuseChangedInput(prior, inputOf(m.matrix.name, m.file, m.text));
  const { cells } = matrixCells(m, resumedShard(prior, asked));
  return { ...reopened(prior), cells: resumeCells(cells, prior.cells) };
}

/** The matrix run's record, new or resumed, before anything is checked or built. */
export function planMatrixRun(m: LoadedMatrix, req: MatrixRequest, vm: VmImplementation): Promise<RunFile> {
  return req.resume ? resumedMatrixRun(m, req.resume, req.shard) : newMatrixRun(m, req, vm);
}

/**
 * The matrix run, checked before it starts: the matrix file, the record (new or resumed),
 * then each kernel its pending cells need prepared (series and config, which the builds
 * use). Only then is its results folder made, and the number of VMs at a time chosen.
 */
export async function plannedMatrix(
  req: MatrixRequest & { file: string; jobs?: number; accel?: Accel },
  vm: VmImplementation,
  progress: Progress,
): Promise<{
  m: LoadedMatrix;
  run: RunFile;
  dir: string;
  prepared: Map<string, PreparedVariant>;
  jobs: number;
  accel?: Accel;
}> {
  const m = await loadMatrix(req.file);
  const run = await planMatrixRun(m, req, vm);
  const forced = replayedForced(run, { ...(req.accel && { accel: req.accel }), ...(req.jobs && { jobs: req.jobs }) });
  if (forced.accel || forced.jobs) run.forced = forced;
  const prepared = await checkRun(run, m.loaded, progress, forced.accel);
  const dir = path.join(resultsRoot(), run.id);
  await fs.mkdir(dir, { recursive: true });
  const vmMiB = Math.max(...run.cells.map((c) => m.loaded.get(targetKey(c))!.scenario.vm.memoryMiB));
  const freeMiB = Math.round(os.freemem() / 2 ** 20);
  run.jobs = forced.jobs
    ? { count: forced.jobs, reason: `--jobs ${forced.jobs}` }
    : chooseJobs(os.cpus().length, freeMiB, vmMiB);
  return { m, run, dir, prepared, jobs: run.jobs.count, ...(forced.accel && { accel: forced.accel }) };
}
