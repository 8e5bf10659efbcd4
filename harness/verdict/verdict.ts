/** Judging fixes against the baseline: pure functions over the bugs of each run. */
import type { RunStatus, VerdictName } from "../records/common.js";
import type { SignatureRecord } from "../records/run.js";
import { signatureLabel } from "../parse/describe.js";
import { cleanRunsNeeded, lowerBound, missChance } from "./bounds.js";
import { allBugs, booted, endingSignatures, runBugs, type JudgedRun, type RunBugs } from "./bugs.js";

export type { JudgedRun, RunStatus, VerdictName };
// The pipeline names hangs and boots through this module.
export { booted, CRASH_SIGNATURE, endingSignatures, HANG_SIGNATURE } from "./bugs.js";

/** What judging reads besides the runs: what each signature stands for, and how sure a verdict must be. */
export interface JudgeContext {
  signatures: Record<string, SignatureRecord>;
  confidence: number;
}

/** The baseline's evidence: k of n booted runs reproduced (any report, or a hang), and the bugs it showed. */
export interface BaselineEvidence {
  variant: string;
  k: number;
  n: number;
  /** The exact one-sided lower bound of the reproduction rate at the verdict's confidence. */
  pLow: number;
  /** Bugs that were the first report of a baseline run. */
  primaries: Set<string>;
  /** Every bug the baseline showed, primary or cascade. */
  shown: Set<string>;
}

export function baselineEvidence(variant: string, runs: JudgedRun[], ctx: JudgeContext): BaselineEvidence {
  const bugs = runs.filter(booted).map((r) => runBugs(r, ctx.signatures));
  const k = bugs.filter((b) => b.primary !== undefined).length;
  return {
    variant,
    k,
    n: bugs.length,
    pLow: lowerBound(k, bugs.length, ctx.confidence),
    primaries: new Set(bugs.flatMap((b) => (b.primary === undefined ? [] : [b.primary]))),
    shown: new Set(bugs.flatMap(allBugs)),
  };
}

/**
 * The baseline bugs a fix run shows: any bug the baseline showed as a primary, and its own
 * primary when the baseline showed that at all. A fix's first report is no collateral, so
 * it is the baseline's bug even where the baseline printed it in a cascade (the reorder
 * fix's worker-path splat follows the baseline's RCU warning on the same culprit).
 */
export function baselineBugsIn(run: RunBugs, base: Pick<BaselineEvidence, "primaries" | "shown">): string[] {
  return allBugs(run).filter((bug) => base.primaries.has(bug) || (bug === run.primary && base.shown.has(bug)));
}

/** A bug a fix showed: in how many of its booted runs, and by which signatures (their call paths name it). */
export interface BugEvidence {
  bug: string;
  runs: number;
  signatures: string[];
}

export interface Verdict {
  fix: string;
  verdict: VerdictName;
  /** One sentence: why this verdict. */
  reason: string;
  confidence: number;
  baseline: { variant: string; k: number; n: number; pLow: number };
  /** Booted fix runs with no baseline bug. */
  cleanRuns: number;
  /** (1 - pLow)^cleanRuns: the chance a bug still present stayed silent (FIXED, INCONCLUSIVE). */
  missChance?: number;
  /** INCONCLUSIVE: clean runs still needed at this baseline bound. */
  moreNeeded?: number;
  /** Baseline bugs the fix still shows. */
  remaining: BugEvidence[];
  /** Bugs that were a fix run's primary and that the baseline never showed. */
  added: BugEvidence[];
}

/** Count the chosen bugs of each run over the runs. */
function tally(runs: RunBugs[], pick: (r: RunBugs) => string[]): BugEvidence[] {
  const out = new Map<string, BugEvidence>();
  for (const r of runs) {
    for (const bug of pick(r)) {
      const e = out.get(bug) ?? { bug, runs: 0, signatures: [] };
      out.set(bug, { bug, runs: e.runs + 1, signatures: [...new Set([...e.signatures, ...(r.signaturesOf.get(bug) ?? [])])] });
    }
  }
  return [...out.values()].sort((a, b) => b.runs - a.runs || a.bug.localeCompare(b.bug));
}

/** "bug (title via path)" for a reason sentence. */
export function nameBug(e: BugEvidence, signatures: Record<string, SignatureRecord>): string {
  const sig = signatures[e.signatures[0] ?? ""];
  return sig ? `${e.bug}: ${signatureLabel(sig)}` : e.bug;
}

const pct = (c: number) => `${Math.round(c * 1000) / 10}%`;

/** The verdict of one fix, from its runs and the baseline's evidence. Infra runs are never evidence. */
export function judgeFix(base: BaselineEvidence, fix: string, fixRuns: JudgedRun[], ctx: JudgeContext): Verdict {
  const evidence = fixRuns.filter((r) => r.status !== "infra");
  const bugs = evidence.filter(booted).map((r) => runBugs(r, ctx.signatures));
  const remaining = tally(bugs, (r) => baselineBugsIn(r, base));
  const added = tally(bugs, (r) => (r.primary !== undefined && !base.shown.has(r.primary) ? [r.primary] : []));
  const cleanRuns = bugs.filter((r) => baselineBugsIn(r, base).length === 0).length;
  const baseline = { variant: base.variant, k: base.k, n: base.n, pLow: base.pLow };
  const out = { fix, confidence: ctx.confidence, baseline, cleanRuns, remaining, added };
  if (evidence.length > 0 && bugs.length === 0) {
    return { ...out, verdict: "BROKEN", reason: `none of its ${evidence.length} run(s) booted and ran the workload (boot failures or errors)` };
  }
  if (remaining.length > 0) return { ...out, verdict: "NOT FIXED", reason: `still shows ${nameBug(remaining[0]!, ctx.signatures)} (${remaining[0]!.runs}/${bugs.length} runs)` };
  // A new first report is evidence on its own, whether or not the baseline reproduced.
  if (added.length > 0) return { ...out, verdict: "REGRESSED", reason: `first report the baseline never showed: ${nameBug(added[0]!, ctx.signatures)} (${added[0]!.runs}/${bugs.length} runs)` };
  if (base.k === 0) {
    return { ...out, verdict: "NOT REPRODUCED", reason: base.n === 0 ? "the baseline never booted" : `the baseline showed no bug in its ${base.n} booted run(s)` };
  }
  const miss = missChance(base.pLow, cleanRuns);
  const needed = cleanRunsNeeded(base.pLow, ctx.confidence);
  const judged = { ...out, missChance: miss };
  if (miss <= 1 - ctx.confidence) {
    return { ...judged, verdict: "FIXED", reason: `no baseline bug in ${cleanRuns} clean run(s); a bug still present would have stayed silent with chance ${miss.toPrecision(2)} <= ${(1 - ctx.confidence).toPrecision(2)}` };
  }
  const moreNeeded = needed - cleanRuns;
  return { ...judged, moreNeeded, verdict: "INCONCLUSIVE", reason: `clean in ${cleanRuns} run(s); ${moreNeeded} more needed at this baseline rate (>= ${base.pLow.toFixed(2)} from ${base.k}/${base.n}) for ${pct(ctx.confidence)}` };
}

/** One variant's runs, counted: how they ended and which bugs they showed. */
export interface VariantStats {
  variant: string;
  runs: number;
  /** Runs that booted and ran the workload (completed, crash or hang). */
  booted: number;
  /** Booted runs with a bug (a report, or a hang). */
  bugRuns: number;
  hangs: number;
  bootFailures: number;
  errors: number;
  /** Runs the host spoiled (QEMU, a port, SSH): listed, never evidence. */
  infra: number;
  /** Runs (infra excluded) per signature, for the reports' details. */
  signatures: { signature: string; runs: number }[];
}

export function variantStats(variant: string, runs: JudgedRun[]): VariantStats {
  const counts = new Map<string, number>();
  for (const r of runs.filter((x) => x.status !== "infra")) for (const s of new Set(r.splats.map((x) => x.signature))) counts.set(s, (counts.get(s) ?? 0) + 1);
  const ended = (s: RunStatus) => runs.filter((r) => r.status === s).length;
  return {
    variant,
    runs: runs.length,
    booted: runs.filter(booted).length,
    bugRuns: runs.filter((r) => booted(r) && runBugs(r, {}).primary !== undefined).length,
    hangs: ended("hang"),
    bootFailures: ended("boot-failure"),
    errors: ended("error"),
    infra: ended("infra"),
    signatures: [...counts].map(([signature, n]) => ({ signature, runs: n })).sort((a, b) => b.runs - a.runs || a.signature.localeCompare(b.signature)),
  };
}

/** Stats for every variant and a verdict for every fix against the baseline: one scenario, one kernel, one guest shape. */
export function judgeVariants(baseline: string, variants: string[], runsOf: (variant: string) => JudgedRun[], ctx: JudgeContext): { stats: VariantStats[]; verdicts: Verdict[] } {
  const base = baselineEvidence(baseline, runsOf(baseline), ctx);
  return {
    stats: variants.map((v) => variantStats(v, runsOf(v))),
    verdicts: variants.filter((v) => v !== baseline).map((v) => judgeFix(base, v, runsOf(v), ctx)),
  };
}

/** A run's signatures, a hang as HANG_SIGNATURE and a report-less crash as CRASH_SIGNATURE: what a bisection step compares with its target. */
export function toRunRecord(r: Pick<JudgedRun, "status" | "splats">): { status: RunStatus; signatures: string[] } {
  return { status: r.status, signatures: [...r.splats.map((s) => s.signature), ...endingSignatures(r)] };
}
