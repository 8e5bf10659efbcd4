import type { HostRecord, IterationRecord, KernelRecord, SignatureRecord } from "../report/runRecord.js";
import { judgeVariants, type VariantStats, type Verdict } from "../verdict/verdict.js";
import type { AccelChoice } from "../vm/accel.js";
import { cellId, groupId, type CellKey, type GroupKey, type Shard } from "./expand.js";

export interface CellRecord extends CellKey {
  id: string;
  group: string;
  /** The scenario's baseline variant, which this cell's group is judged against. */
  baseline: string;
  iterations: number;
  status: "pending" | "done" | "failed";
  /** Why a cell failed (build error, boot failure, hang...). */
  reason?: string;
  /** Key into `builds`. */
  build: string;
  runs: IterationRecord[];
}

export interface BuildRecord extends KernelRecord {
  scenario: string;
  kernel: string;
  status: "built" | "failed";
  reason?: string;
}

/**
 * results/<id>/matrix.json: a matrix run (or shard) with every cell, build and signature.
 * `kharness run` results convert to this shape too, so every report reads one model.
 */
export interface MatrixRunFile {
  schema: "kharness.matrix/1";
  id: string;
  status: "running" | "completed" | "interrupted" | "failed";
  error?: string;
  startedAt: string;
  finishedAt?: string;
  matrix: { name: string; file: string; sha256: string };
  shard?: Shard;
  host: HostRecord;
  accel?: AccelChoice;
  jobs?: { count: number; reason: string };
  /** Expected verdicts per "scenario/kernel" and variant: a fix's verdict, or REPRODUCES / CLEAN for the baseline. */
  expect: Record<string, Record<string, string>>;
  builds: Record<string, BuildRecord>;
  cells: CellRecord[];
  signatures: Record<string, SignatureRecord>;
  /** Wall time per stage, summed over builds and runs. */
  timings: Record<string, number>;
}

export interface GroupResult extends GroupKey {
  id: string;
  baseline: string;
  cells: CellRecord[];
  stats: VariantStats[];
  verdicts: Verdict[];
}

/** Judge each group (scenario, kernel, guest shape) from the runs its cells hold. */
export function judgeGroups(run: Pick<MatrixRunFile, "cells">): GroupResult[] {
  const groups = new Map<string, CellRecord[]>();
  for (const c of run.cells) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  return [...groups.entries()].map(([id, cells]) => {
    const first = cells[0]!;
    const variants = [first.baseline, ...cells.map((c) => c.variant).filter((v) => v !== first.baseline)];
    const hasBaseline = cells.some((c) => c.variant === first.baseline);
    const judged = hasBaseline ? judgeVariants(first.baseline, variants, (v) => cells.find((c) => c.variant === v)?.runs ?? []) : { stats: [], verdicts: [] };
    return { id, scenario: first.scenario, kernel: first.kernel, cpus: first.cpus, hotplug: first.hotplug, baseline: first.baseline, cells, ...judged };
  });
}

/** What a cell is expected to show: a fix FIXED and a baseline REPRODUCES, unless the scenario says otherwise. */
export function expectedVerdict(run: Pick<MatrixRunFile, "expect">, cell: Pick<CellKey, "scenario" | "kernel" | "variant">, baseline: string): string {
  return run.expect[`${cell.scenario}/${cell.kernel}`]?.[cell.variant] ?? (cell.variant === baseline ? "REPRODUCES" : "FIXED");
}

export function newCell(key: CellKey, baseline: string, iterations: number, build: string): CellRecord {
  return { ...key, id: cellId(key), group: groupId(key), baseline, iterations, status: "pending", build, runs: [] };
}
