import path from "node:path";
import { UserError } from "../core/errors.js";
import { readJsonIfExists } from "../core/files.js";
import { booted } from "../verdict/verdict.js";
import { judgeGroups, type GroupResult, type MatrixRunFile } from "../matrix/record.js";
import { cellId, groupId } from "../matrix/expand.js";
import type { RunRecordFile } from "./runRecord.js";

/** What every report format renders: the run, judged per group. */
export interface ReportModel {
  run: MatrixRunFile;
  groups: GroupResult[];
}

export function reportModel(run: MatrixRunFile): ReportModel {
  return { run, groups: judgeGroups(run) };
}

/** A `kharness run` result as a one-group matrix, so one set of report formats serves both. */
export function matrixFromRun(r: RunRecordFile): MatrixRunFile {
  // run.json files written before these fields existed read as unknown.
  const { kernel = "unknown", cpus = 0, hotplug = true } = r.scenario;
  const variants = r.stats.length ? r.stats.map((s) => s.variant) : [...new Set(r.iterations.map((i) => i.variant))];
  const cells = variants.map((variant) => {
    const key = { scenario: r.scenario.name, kernel, variant, cpus, hotplug };
    const runs = r.iterations.filter((i) => i.variant === variant);
    const build = r.kernels[variant];
    const failed = !build && r.status !== "running";
    return {
      ...key,
      id: cellId(key),
      group: groupId(key),
      baseline: r.scenario.baseline,
      iterations: r.scenario.iterations,
      status: failed || !runs.some(booted) ? ("failed" as const) : runs.length >= r.scenario.iterations ? ("done" as const) : ("pending" as const),
      ...(runs.some((x) => x.reason) && { reason: runs.filter((x) => x.reason).map((x) => `#${x.iteration} ${x.status}: ${x.reason}`).join("; ") }),
      build: `${r.scenario.name}/${kernel}/${variant}`,
      runs,
    };
  });
  return {
    schema: "kharness.matrix/1",
    id: r.id,
    status: r.status,
    ...(r.error && { error: r.error }),
    startedAt: r.startedAt,
    ...(r.finishedAt && { finishedAt: r.finishedAt }),
    matrix: { name: r.scenario.name, file: r.scenario.file, sha256: r.scenario.sha256 },
    host: r.host,
    ...(r.accel && { accel: r.accel }),
    expect: { [`${r.scenario.name}/${kernel}`]: { ...r.scenario.expect, ...(r.scenario.baselineExpect && { [r.scenario.baseline]: r.scenario.baselineExpect }) } },
    builds: Object.fromEntries(Object.values(r.kernels).map((k) => [`${r.scenario.name}/${kernel}/${k.variant}`, { ...k, sourceHash: k.sourceHash ?? "", scenario: r.scenario.name, kernel, status: "built" as const }])),
    cells,
    signatures: r.signatures,
    timings: r.timings,
  };
}

/** A results directory as a report model's run: matrix.json, or a `kharness run`'s run.json. */
export async function readRunDir(dir: string): Promise<MatrixRunFile> {
  const matrix = await readJsonIfExists<MatrixRunFile>(path.join(dir, "matrix.json"));
  if (matrix) return matrix;
  const run = await readJsonIfExists<RunRecordFile>(path.join(dir, "run.json"));
  if (run) return matrixFromRun(run);
  throw new UserError(`${dir} holds no run (no matrix.json or run.json)`, "give a results/<run-id> directory");
}
