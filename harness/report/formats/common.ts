import type { CellRecord, RunFile } from "../../records/run.js";
import type { GroupResult } from "../../verdict/groups.js";
import { signatureLabel } from "../../parse/describe.js";
import { summarizeBugs, type BugSummary } from "../../verdict/bugs.js";
import type { Verdict } from "../../verdict/verdict.js";

/** What one cell of the grid says, for every format: the judge's result for it, and its evidence. */
export interface CellView {
  cell: CellRecord;
  /**
   * The result's got: FIXED, NOT FIXED, ... for a fix; REPRODUCES / CLEAN (or INCONCLUSIVE) for a
   * baseline; BROKEN; PENDING.
   */
  verdict: string;
  expected: string;
  /** The judge's: the cell got what was expected of it. */
  ok: boolean;
  runs: number;
  /** Runs that booted and ran the workload: the denominator of every rate. */
  booted: number;
  /** Booted runs with a bug (a report, or a hang). */
  bugRuns: number;
  /** Signatures in this cell with the runs they appeared in. */
  signatures: { signature: string; runs: number }[];
  fixVerdict?: Verdict;
}

/** A cell as the formats show it: its result (verdict/groups.ts decides it) with its counts. */
export function cellView(group: GroupResult, cell: CellRecord): CellView {
  const stats = group.stats.find((s) => s.variant === cell.variant);
  const result = group.results.find((r) => r.cell === cell)!;
  const { got: verdict, expected, ok, fixVerdict } = result;
  const counts = { booted: stats?.booted ?? 0, bugRuns: stats?.bugRuns ?? 0, signatures: stats?.signatures ?? [] };
  return { cell, verdict, expected, ok, runs: cell.runs.length, ...counts, ...(fixVerdict && { fixVerdict }) };
}

/** A cell that got no result to compare (its kernel did not build, or it never ran): an error, not a failed test. */
export const didNotRun = (c: CellRecord) => c.status !== "done";

/** Variants in column order: the baseline first, then the fixes as they appear. */
export function columns(groups: GroupResult[]): string[] {
  const out: string[] = [];
  for (const g of groups)
    for (const v of [g.baseline, ...g.cells.map((c) => c.variant)]) if (!out.includes(v)) out.push(v);
  return out;
}

/** The run's bugs over all its cells, per variant column. */
export function bugsByVariant(run: RunFile, cols: string[]): BugSummary[] {
  return summarizeBugs(
    cols.map((variant) => ({ variant, runs: run.cells.filter((c) => c.variant === variant).flatMap((c) => c.runs) })),
    run.signatures,
  );
}

/**
 * The bugs that matter first: those that were some run's first report. The others only
 * ever came after another report in a tainted kernel (its cascade), and every format
 * shows them last and folded: a collapsed section in HTML, a count with a pointer elsewhere.
 */
export function splitBugs(bugs: BugSummary[]): { first: BugSummary[]; cascade: BugSummary[] } {
  const first = bugs.filter((b) => b.variants.some((v) => v.primary > 0));
  return { first, cascade: bugs.filter((b) => !first.includes(b)) };
}

/** Where the folded cascade is listed in full, for the formats that only count it. */
export const CASCADE_POINTER = "listed in report.html (the folded cascade section) and report.json";

/** "3/5 (first 2)": runs of a variant that showed the bug, and as their first report. */
export const bugCount = (v: BugSummary["variants"][number]) =>
  `${v.any}/${v.runs}${v.primary ? ` (first ${v.primary})` : ""}`;

export function sigTitle(run: RunFile, sig: string): string {
  const s = run.signatures[sig];
  return s ? signatureLabel(s) : sig;
}

/** A cell's VM time in seconds: boot, workload and collection of every run. */
export const cellSeconds = (c: CellRecord) =>
  c.runs.reduce((n, r) => n + r.bootMs + r.workloadMs + r.collectMs, 0) / 1000;

export const pct = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 100) : 0);
export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const hotplugLabel = (on: boolean) => (on ? "on" : "off");
