import { DEFAULT_WINDOW } from "./window.js";
import { targetKey, type CellRecord, type RunFile } from "../records/run.js";
import { summarizeBugs, type BugSummary } from "./bugs.js";
import { judgeVariants, variantStats, type VariantStats, type Verdict } from "./verdict.js";

/**
 * What one cell got, against what was expected of it: the one answer the exit code, the
 * terminal summary and every report read.
 */
export interface CellResult {
  cell: CellRecord;
  /**
   * A fix's verdict; REPRODUCES or CLEAN for a baseline (INCONCLUSIVE when none of its runs
   * booted); BROKEN for any cell whose kernel did not build; PENDING for a cell with no result yet.
   */
  got: string;
  expected: string;
  ok: boolean;
  /** A fix's verdict in full (absent for a baseline, and for a fix not judged yet). */
  fixVerdict?: Verdict;
}

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
  /** Each cell's result, in the order of `cells`. */
  results: CellResult[];
  /** The group's bugs, for the summary: each with its runs per variant and its cascade. */
  bugs: BugSummary[];
}

/** The cells of each group (one scenario, kernel and guest shape), in the run's order. */
export function groupsOf(cells: CellRecord[]): CellRecord[][] {
  const groups = new Map<string, CellRecord[]>();
  for (const c of cells) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  return [...groups.values()];
}

const NO_BASELINE_KERNEL = "the baseline's kernel did not build: no verdict against it";

/**
 * A kernel that did not build decides before any run: the fix's own makes it BROKEN, and
 * the baseline's leaves nothing to judge a fix against (NOT REPRODUCED: no verdict).
 */
function unbuiltKernels(verdicts: Verdict[], cells: CellRecord[], baseline: string): Verdict[] {
  const failed = (variant: string) => cells.find((c) => c.variant === variant && c.status === "failed");
  const base = failed(baseline);
  return verdicts.map((v) => {
    const own = failed(v.fix);
    if (!own && !base) return v;
    // The tests' numbers are from runs that never happened: no test decided this.
    const { test: _test, partialPass: _partial, moreNeeded: _more, ...rest } = v;
    return own
      ? { ...rest, verdict: "BROKEN" as const, done: true, reason: own.reason ?? "its kernel did not build" }
      : { ...rest, verdict: "NOT REPRODUCED" as const, done: true, reason: NO_BASELINE_KERNEL };
  });
}

/** The procedure a group was run under: the run's confidence and residual, and the group's run budget. */
export function judgeSettings(run: Pick<RunFile, "settings">, cells: Pick<CellRecord, "maxRuns">[]) {
  const { confidence, residual, window = DEFAULT_WINDOW } = run.settings;
  return { confidence, residual, window, maxRuns: Math.min(...cells.map((c) => c.maxRuns)) };
}

/** What a cell is expected to show: a fix FIXED and a baseline REPRODUCES, unless the scenario says otherwise. */
export function expectedVerdict(
  run: Pick<RunFile, "expect">,
  cell: Pick<CellRecord, "scenario" | "kernel" | "arch" | "variant">,
  baseline: string,
): string {
  const fallback = cell.variant === baseline ? "REPRODUCES" : "FIXED";
  return run.expect[targetKey(cell)]?.[cell.variant] ?? fallback;
}

/**
 * What a cell got: BROKEN without a kernel, PENDING without a result, else the baseline's
 * reproduction or the fix's verdict. A baseline none of whose runs booted showed nothing
 * either way: INCONCLUSIVE, never CLEAN (boot failures and the host's failures are no evidence).
 */
function cellGot(cell: CellRecord, fixVerdict: Verdict | undefined): string {
  if (cell.status === "failed") return "BROKEN";
  if (cell.status === "pending") return "PENDING";
  if (cell.variant !== cell.baseline) return fixVerdict?.verdict ?? "PENDING";
  const stats = variantStats(cell.variant, cell.runs);
  if (stats.bugRuns > 0) return "REPRODUCES";
  return stats.booted > 0 ? "CLEAN" : "INCONCLUSIVE";
}

/** Each cell of a group against its expectation. */
export function cellResults(run: Pick<RunFile, "expect">, cells: CellRecord[], verdicts: Verdict[]): CellResult[] {
  return cells.map((cell) => {
    const fixVerdict = verdicts.find((v) => v.fix === cell.variant);
    const got = cellGot(cell, fixVerdict);
    const expected = expectedVerdict(run, cell, cell.baseline);
    return { cell, got, expected, ok: got === expected, ...(fixVerdict && { fixVerdict }) };
  });
}

/** Judge each group from the runs its cells hold (a group without its baseline is not judged). */
export function judgeGroups(run: Pick<RunFile, "cells" | "signatures" | "settings" | "expect">): GroupResult[] {
  return groupsOf(run.cells).map((cells) => {
    const first = cells[0]!;
    const { baseline } = first;
    const variants = [baseline, ...cells.map((c) => c.variant).filter((v) => v !== baseline)];
    const runsOf = (v: string) => cells.find((c) => c.variant === v)?.runs ?? [];
    const ctx = { signatures: run.signatures, ...judgeSettings(run, cells) };
    const judgedAgainst = (v: string) => cells.find((c) => c.variant === v)?.judgedAgainst;
    const judged = cells.some((c) => c.variant === baseline)
      ? judgeVariants(baseline, variants, runsOf, ctx, judgedAgainst)
      : { stats: [], verdicts: [] };
    const verdicts = unbuiltKernels(judged.verdicts, cells, baseline);
    const bugs = summarizeBugs(
      variants.map((variant) => ({ variant, runs: runsOf(variant) })),
      run.signatures,
    );
    const { scenario, kernel, arch, cpus, hotplug } = first;
    const results = cellResults(run, cells, verdicts);
    const { stats } = judged;
    return { id: first.group, scenario, kernel, arch, cpus, hotplug, baseline, cells, stats, verdicts, results, bugs };
  });
}

/** Every cell's result, group by group: what the exit code and every report count. */
export const resultsOfRun = (groups: GroupResult[]): CellResult[] => groups.flatMap((g) => g.results);

/** Exit status: 0 when every cell (baseline, fixes, kernels that did not build) got what was expected of it, else 1. */
export function exitCodeOf(run: Pick<RunFile, "cells" | "signatures" | "settings" | "expect">): number {
  return resultsOfRun(judgeGroups(run)).every((r) => r.ok) ? 0 : 1;
}
