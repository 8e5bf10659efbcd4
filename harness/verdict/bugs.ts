/**
 * Bugs, not signatures. A run's first report is its primary (syzkaller's "first oops
 * wins": the kernel is tainted after it); every other bug of the run is its cascade. A
 * bug is a signature's `bug` (family + culprit frame), so one bug reached by two call
 * paths is one bug.
 */
import type { RunStatus } from "../records/common.js";
import type { IterationRecord, SignatureRecord } from "../records/run.js";

/** A hang with no report: a bug of its own (its signature and its bug are both "hang"). */
export const HANG_SIGNATURE = "hang";
/** A guest that died with no report the parser could read: still a bug, never a clean run. */
export const CRASH_SIGNATURE = "crash";

/** Runs in which the kernel booted and ran the workload, however it ended. */
export function booted(r: { status: RunStatus }): boolean {
  return r.status === "completed" || r.status === "crash" || r.status === "hang";
}

/** What a run leaves for judging. */
export type JudgedRun = Pick<IterationRecord, "status" | "splats" | "primary" | "firstReportMs" | "windowMs">;

export interface RunBugs {
  /** The bug of the run's first report ("hang" for a hang without one); none for a clean run. */
  primary?: string;
  /** Every other bug of the run, in the order first seen. */
  cascade: string[];
  /** Signatures per bug in this run, for naming the call paths. */
  signaturesOf: Map<string, string[]>;
}

/**
 * The signatures a run's ending adds to its reports: "hang" for a hang, "crash" for a guest
 * that died with no report. One rule for the verdicts, the bisection and the records.
 */
export function endingSignatures(run: Pick<JudgedRun, "status" | "splats">): string[] {
  if (run.status === "hang") return [HANG_SIGNATURE];
  return run.status === "crash" && run.splats.length === 0 ? [CRASH_SIGNATURE] : [];
}

/** The bug a signature belongs to (an unrecorded signature is a bug of its own). */
export function bugOf(signature: string, signatures: Record<string, SignatureRecord>): string {
  return signatures[signature]?.bug ?? signature;
}

/**
 * The run's primary bug and its cascade. A hang with reports adds "hang" to the cascade; a crash with none is
 * the bug "crash".
 */
export function bugsOfRun(run: JudgedRun, signatures: Record<string, SignatureRecord>): RunBugs {
  const sigs = run.splats.map((s) => s.signature);
  // Records without `primary` (older ones) keep the console's order: the first is the first report.
  const primarySig = run.primary ?? sigs[0];
  const reports = primarySig === undefined ? sigs : [primarySig, ...sigs.filter((s) => s !== primarySig)];
  const ordered = [...reports, ...endingSignatures(run)];
  const signaturesOf = new Map<string, string[]>();
  for (const sig of ordered) {
    const bug = bugOf(sig, signatures);
    signaturesOf.set(bug, [...new Set([...(signaturesOf.get(bug) ?? []), sig])]);
  }
  const [primary, ...cascade] = [...signaturesOf.keys()];
  return { ...(primary !== undefined && { primary }), cascade, signaturesOf };
}

/** Every bug of a run, primary first. */
export function allBugs(b: RunBugs): string[] {
  return b.primary === undefined ? [] : [b.primary, ...b.cascade];
}

/** A bug as the terminal summary and the reports list it. */
export interface BugSummary {
  bug: string;
  /** syzkaller's title of the first signature seen for it. */
  title: string;
  culprit?: string;
  /** The distinct call paths it was reached by. */
  callPaths: string[][];
  signatures: string[];
  /** Per variant: runs (booted or not, infra excluded) that showed it, as primary and at all. */
  variants: { variant: string; primary: number; any: number; runs: number }[];
  /** Distinct other bugs seen after it in the runs it was the primary of. */
  cascadeSize: number;
}

/** Group the variants' runs by bug: bugs that were a primary first, the most frequent first. */
export function summarizeBugs(
  variants: { variant: string; runs: JudgedRun[] }[],
  signatures: Record<string, SignatureRecord>,
): BugSummary[] {
  const bugs = new Map<string, { sigs: string[]; cascade: Set<string> }>();
  const evidence = variants.map(({ variant, runs }) => ({
    variant,
    bugs: runs.filter((r) => r.status !== "infra").map((r) => bugsOfRun(r, signatures)),
  }));
  for (const v of evidence) {
    for (const b of v.bugs) {
      for (const [bug, sigs] of b.signaturesOf) {
        const entry = bugs.get(bug) ?? { sigs: [], cascade: new Set<string>() };
        entry.sigs = [...new Set([...entry.sigs, ...sigs])];
        if (bug === b.primary) for (const c of b.cascade) entry.cascade.add(c);
        bugs.set(bug, entry);
      }
    }
  }
  const summaries = [...bugs].map(([bug, { sigs, cascade }]): BugSummary => {
    const first = signatures[sigs[0]!];
    const count = (runs: RunBugs[], primaryOnly: boolean) =>
      runs.filter((b) => (primaryOnly ? b.primary === bug : b.signaturesOf.has(bug))).length;
    return {
      bug,
      title: first?.title ?? bug,
      ...(first?.culprit !== undefined && { culprit: first.culprit }),
      callPaths: uniquePaths(sigs.map((s) => signatures[s]?.callPath ?? [])),
      signatures: sigs,
      variants: evidence.map((v) => ({
        variant: v.variant,
        primary: count(v.bugs, true),
        any: count(v.bugs, false),
        runs: v.bugs.length,
      })),
      cascadeSize: cascade.size,
    };
  });
  const total = (s: BugSummary, k: "primary" | "any") => s.variants.reduce((n, v) => n + v[k], 0);
  return summaries.sort(
    (a, b) =>
      total(b, "primary") - total(a, "primary") || total(b, "any") - total(a, "any") || a.bug.localeCompare(b.bug),
  );
}

function uniquePaths(paths: string[][]): string[][] {
  const seen = new Map(paths.filter((p) => p.length > 0).map((p) => [p.join(" <- "), p]));
  return [...seen.values()];
}
