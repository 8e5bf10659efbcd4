import { DEFAULT_WINDOW } from "./window.js";
import { targetKey, type CellRecord, type RunFile } from "../records/run.js";
import { summarizeBugs, type BugSummary } from "./bugs.js";
import { judgeVariants, type VariantStats, type Verdict } from "./verdict.js";

/** The cells judged together: one scenario on one kernel and one guest shape. */
export interface GroupResult {
  id: string;
  scenario: string;
  kernel: string;
  arch: CellRecord["arch"];
  cpus: number;
  hotplug: boolean;
  baseline: string;
  cells: CellRecord[];
  stats: VariantStats[];
  verdicts: Verdict[];
  /** The group's bugs, for the summary: each with its runs per variant and its cascade. */
  bugs: BugSummary[];
}

/** The cells of each group (one scenario, kernel and guest shape), in the run's order. */
export function groupsOf(cells: CellRecord[]): CellRecord[][] {
  const groups = new Map<string, CellRecord[]>();
  for (const c of cells) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  return [...groups.values()];
}

/** A fix whose kernel did not build is BROKEN, whatever its (absent) runs would say. */
function brokenBuilds(verdicts: Verdict[], cells: CellRecord[]): Verdict[] {
  return verdicts.map((v) => {
    const cell = cells.find((c) => c.variant === v.fix);
    return cell?.status === "failed" ? { ...v, verdict: "BROKEN" as const, reason: cell.reason ?? "its kernel did not build" } : v;
  });
}

/** The procedure a group was run under: the run's confidence and residual, and the group's run budget. */
export function judgeSettings(run: Pick<RunFile, "settings">, cells: Pick<CellRecord, "maxRuns">[]) {
  const { confidence, residual, window = DEFAULT_WINDOW } = run.settings;
  return { confidence, residual, window, maxRuns: Math.min(...cells.map((c) => c.maxRuns)) };
}

/** Judge each group from the runs its cells hold (a group without its baseline is not judged). */
export function judgeGroups(run: Pick<RunFile, "cells" | "signatures" | "settings">): GroupResult[] {
  return groupsOf(run.cells).map((cells) => {
    const id = cells[0]!.group;
    const first = cells[0]!;
    const variants = [first.baseline, ...cells.map((c) => c.variant).filter((v) => v !== first.baseline)];
    const hasBaseline = cells.some((c) => c.variant === first.baseline);
    const runsOf = (v: string) => cells.find((c) => c.variant === v)?.runs ?? [];
    const ctx = { signatures: run.signatures, ...judgeSettings(run, cells) };
    const judgedAgainst = (v: string) => cells.find((c) => c.variant === v)?.judgedAgainst;
    const judged = hasBaseline ? judgeVariants(first.baseline, variants, runsOf, ctx, judgedAgainst) : { stats: [], verdicts: [] };
    const bugs = summarizeBugs(variants.map((variant) => ({ variant, runs: runsOf(variant) })), run.signatures);
    return { id, scenario: first.scenario, kernel: first.kernel, arch: first.arch, cpus: first.cpus, hotplug: first.hotplug, baseline: first.baseline, cells, stats: judged.stats, verdicts: brokenBuilds(judged.verdicts, cells), bugs };
  });
}

/** What a cell is expected to show: a fix FIXED and a baseline REPRODUCES, unless the scenario says otherwise. */
export function expectedVerdict(run: Pick<RunFile, "expect">, cell: Pick<CellRecord, "scenario" | "kernel" | "arch" | "variant">, baseline: string): string {
  return run.expect[targetKey(cell)]?.[cell.variant] ?? (cell.variant === baseline ? "REPRODUCES" : "FIXED");
}

/** Exit status: 0 when every fix got its expected verdict and no cell failed (a kernel that did not build), else 1. */
export function runExitCode(run: RunFile): number {
  const wrong = judgeGroups(run).flatMap((g) => g.verdicts.filter((v) => v.verdict !== expectedVerdict(run, { ...g, variant: v.fix }, g.baseline)));
  return wrong.length === 0 && run.cells.every((c) => c.status === "done") ? 0 : 1;
}
