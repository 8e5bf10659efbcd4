/** Judging fixes against the baseline: pure functions over the bugs of each run. */
import type { RunStatus, VerdictName } from "../records/common.js";
import type { SignatureRecord } from "../records/run.js";
import { signatureLabel } from "../parse/describe.js";
import { lowerBound, upperBound } from "./bounds.js";
import { calibrate, type Calibration } from "./calibrate.js";
import { decideFix, type FixCounts } from "./decide.js";
import { fixedPValue, regressedPValue } from "./fisher.js";
import { isCompleteTrial, trialWindow, type WindowPolicy } from "./window.js";
import { allBugs, booted, endingSignatures, bugsOfRun, type JudgedRun, type RunBugs } from "./bugs.js";

export type { JudgedRun, RunStatus, VerdictName };
// The pipeline names hangs and boots through this module.
export { booted, CRASH_SIGNATURE, endingSignatures, HANG_SIGNATURE } from "./bugs.js";

/** What judging reads besides the runs: what each signature stands for, and the procedure's settings. */
export interface JudgeContext {
  signatures: Record<string, SignatureRecord>;
  confidence: number;
  /** The run budget per variant: the levels are calibrated for it. */
  maxRuns: number;
  /** FIXED must also rule out a fix that leaves this share of the bug's rate (1: no change at all). */
  residual: number;
  /** The trial window's rule (default: DEFAULT_WINDOW). */
  window?: WindowPolicy;
}

/** The baseline's evidence: k of n booted runs reproduced (any report, or a hang), and the bugs it showed. */
export interface BaselineEvidence {
  variant: string;
  k: number;
  n: number;
  /** Booted runs, boot failures and errors: what its budget counts. */
  evidence: number;
  /** No run left in its budget. */
  done: boolean;
  /** The exact one-sided lower bound of the reproduction rate at the verdict's confidence. */
  pLow: number;
  /** Bugs that were the first report of a baseline run. */
  primaries: Set<string>;
  /** Every bug the baseline showed, primary or cascade. */
  shown: Set<string>;
}

const isEvidence = (r: JudgedRun) => r.status !== "infra";

export function baselineEvidence(variant: string, runs: JudgedRun[], ctx: JudgeContext): BaselineEvidence {
  const bugs = runs.filter(booted).map((r) => bugsOfRun(r, ctx.signatures));
  const k = bugs.filter((b) => b.primary !== undefined).length;
  const evidence = runs.filter(isEvidence).length;
  return {
    variant,
    k,
    n: bugs.length,
    evidence,
    done: budgetSpent(runs, ctx.maxRuns) !== undefined,
    pLow: lowerBound(k, bugs.length, ctx.confidence),
    primaries: new Set(bugs.flatMap((b) => (b.primary === undefined ? [] : [b.primary]))),
    shown: new Set(bugs.flatMap(allBugs)),
  };
}

/**
 * The baseline as one fix is judged against it: the counts from its first runs, as many
 * evidence runs as the fix has (the rounds they shared: a run the host spoiled delays one
 * side, and the calibration compares equal rounds), the bugs from all of `baseRuns`.
 */
export function baselineFor(
  variant: string,
  baseRuns: JudgedRun[],
  fixRuns: JudgedRun[],
  ctx: JudgeContext,
): BaselineEvidence {
  const all = baselineEvidence(variant, baseRuns, ctx);
  const want = fixRuns.filter(isEvidence).length;
  let cut = 0;
  for (let seen = 0; cut < baseRuns.length && seen < want; cut++) if (isEvidence(baseRuns[cut]!)) seen++;
  const counted = baselineEvidence(variant, baseRuns.slice(0, cut), ctx);
  return { ...counted, done: all.done, primaries: all.primaries, shown: all.shown };
}

/**
 * One fix in its group: against the baseline records it was decided on (`judgedAgainst`;
 * all of them while it is open), with its runs that are complete trials under the window
 * those baseline runs set (a clean run cut at a shorter window is left out, and counted).
 */
export function judgeFixInGroup(
  baseline: string,
  baseRuns: JudgedRun[],
  fix: string,
  fixRuns: JudgedRun[],
  ctx: JudgeContext,
  judgedAgainst?: number,
): Verdict {
  const upTo = judgedAgainst === undefined ? baseRuns : baseRuns.slice(0, judgedAgainst);
  const window = trialWindow(upTo, ctx.window);
  const counted = fixRuns.filter((r) => !isEvidence(r) || isCompleteTrial(r, window));
  const v = judgeFix(baselineFor(baseline, upTo, counted, ctx), fix, counted, ctx);
  // Under a window, what FIXED rules out is a baseline bug within it.
  const within =
    window !== undefined && v.verdict === "FIXED"
      ? `; each trial: a baseline bug within ${(window / 1000).toFixed(1)} s of the workload's start`
      : "";
  const timed = window === undefined ? {} : { windowMs: window, reason: `${v.reason}${within}` };
  return { ...v, ...timed, ...(counted.length < fixRuns.length && { leftOut: fixRuns.length - counted.length }) };
}

/**
 * The budget a variant has spent, if it has: evidence runs, or infra runs (the host's failures have a cap
 * of their own).
 */
export function budgetSpent(runs: JudgedRun[], maxRuns: number): string | undefined {
  const infra = runs.length - runs.filter(isEvidence).length;
  if (runs.length - infra >= maxRuns) return `max runs ${maxRuns} reached`;
  if (infra >= maxRuns) return `infra cap reached: ${infra} runs spoiled by the host (never evidence)`;
  return undefined;
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
  /** One sentence: why this verdict, and for FIXED exactly what it rules out. */
  reason: string;
  /** The verdict is final (the fix gets no more runs); otherwise it is the standing so far. */
  done: boolean;
  /** What decided it, in counts (the scheduler's line). */
  why: string;
  confidence: number;
  residual: number;
  baseline: { variant: string; k: number; n: number; pLow: number };
  /** Booted fix runs with no baseline bug, and the exact upper bound of the fix's rate from them. */
  cleanRuns: number;
  fixBooted: number;
  pHigh: number;
  /** The two-sample test that decided FIXED, REGRESSED or INCONCLUSIVE, at its calibrated level. */
  test?: { name: "FIXED" | "REGRESSED"; pValue: number; level: number };
  /** FIXED: the worst chance that a fix leaving half, or a quarter, of the bug's rate would have passed. */
  partialPass?: { half: number; quarter: number };
  /** INCONCLUSIVE: clean runs still needed against this baseline's evidence (absent when out of reach). */
  moreNeeded?: number;
  /** The trial window the baseline's runs set (ms), which a clean fix run must have lasted to count. */
  windowMs?: number;
  /** Clean fix runs cut at a window shorter than today's: no longer complete trials, so not counted. */
  leftOut?: number;
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
      out.set(bug, {
        bug,
        runs: e.runs + 1,
        signatures: [...new Set([...e.signatures, ...(r.signaturesOf.get(bug) ?? [])])],
      });
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
const p2 = (p: number) => p.toPrecision(2);

/** A fix's runs against the baseline, tallied once: the bugs for the reasons, the counts for the decision. */
function fixTally(base: BaselineEvidence, fixRuns: JudgedRun[], ctx: JudgeContext) {
  const evidence = fixRuns.filter(isEvidence);
  const bugs = evidence.filter(booted).map((r) => bugsOfRun(r, ctx.signatures));
  const remaining = tally(bugs, (r) => baselineBugsIn(r, base));
  const added = tally(bugs, (r) => (r.primary !== undefined && !base.shown.has(r.primary) ? [r.primary] : []));
  const j = bugs.filter((r) => baselineBugsIn(r, base).length > 0).length;
  const counts: FixCounts = {
    k: base.k,
    n: base.n,
    baseEvidence: base.evidence,
    baseDone: base.done,
    j,
    m: bugs.length,
    fixEvidence: evidence.length,
    y: added[0]?.runs ?? 0,
  };
  return { bugs, remaining, added, counts, infraSpent: budgetSpent(fixRuns, ctx.maxRuns) };
}

/** The verdict of one fix, from its runs and the baseline's evidence. Infra runs are never evidence. */
export function judgeFix(base: BaselineEvidence, fix: string, fixRuns: JudgedRun[], ctx: JudgeContext): Verdict {
  const cal = calibrate(ctx.maxRuns, ctx.confidence, ctx.residual);
  const t = fixTally(base, fixRuns, ctx);
  const decision = decideFix(t.counts, cal.levels);
  // A host that keeps failing ends the fix with what it has.
  const done = decision.done || t.infraSpent !== undefined;
  const { m, j } = t.counts;
  const out = {
    fix,
    verdict: decision.verdict,
    done,
    why: decision.done || !t.infraSpent ? decision.why : t.infraSpent,
    confidence: ctx.confidence,
    residual: ctx.residual,
    baseline: { variant: base.variant, k: base.k, n: base.n, pLow: base.pLow },
    cleanRuns: m - j,
    fixBooted: m,
    pHigh: upperBound(j, m, ctx.confidence),
    remaining: t.remaining,
    added: t.added,
  };
  return { ...out, ...explain(out.verdict, t, cal, ctx) };
}

type Tally = ReturnType<typeof fixTally>;
type Explained = Pick<Verdict, "reason" | "test" | "partialPass" | "moreNeeded">;

/** The verdict's sentence, in the words of what its test shows and no more. */
function explain(verdict: VerdictName, t: Tally, cal: Calibration, ctx: JudgeContext): Explained {
  const { n, m, y } = t.counts;
  const booted = t.bugs.length;
  const named = (e: BugEvidence) => nameBug(e, ctx.signatures);
  switch (verdict) {
    case "BROKEN":
      return {
        reason: `none of its ${t.counts.fixEvidence} run(s) booted and ran the workload (boot failures or errors)`,
      };
    case "NOT FIXED":
      return { reason: `still shows ${named(t.remaining[0]!)} (${t.remaining[0]!.runs}/${booted} runs)` };
    case "REGRESSED": {
      const test = { name: "REGRESSED" as const, pValue: regressedPValue(y, m, n), level: cal.levels.regressed };
      return {
        test,
        reason:
          `a bug the baseline never showed: ${named(t.added[0]!)} ` +
          `in ${y}/${m} run(s) against 0/${n} of the baseline; ` +
          `"the fix changes nothing" is ruled out at ${pct(ctx.confidence)} ` +
          `(p = ${p2(test.pValue)} <= level ${p2(test.level)})`,
      };
    }
    case "NOT REPRODUCED": {
      const shown = t.added.length
        ? `; the fix showed ${t.added.map((e) => `${named(e)} (${e.runs}/${booted})`).join(", ")}`
        : "";
      return {
        reason:
          `${n === 0 ? "the baseline never booted" : `the baseline showed no bug in its ${n} booted run(s)`}` +
          `: no verdict against it${shown}`,
      };
    }
    case "FIXED":
      return fixedReason(t, cal, ctx);
    default:
      return inconclusiveReason(t, cal, ctx);
  }
}

/**
 * The fix's rate is ruled out at residual and above; partial fixes below that may still pass, and this says
 * how often.
 */
function fixedReason(t: Tally, cal: Calibration, ctx: JudgeContext): Explained {
  const { k, n, m } = t.counts;
  const test = { name: "FIXED" as const, pValue: fixedPValue(k, n, m), level: cal.levels.fixed };
  const partialPass = cal.partialPass;
  const ruledOut =
    ctx.residual === 1 ? `"the fix changes nothing"` : `a fix leaving ${pct(ctx.residual)} or more of the bug's rate`;
  const passes =
    `a fix leaving half the bug's rate would pass with chance <= ${p2(partialPass.half)}, ` +
    `a quarter <= ${p2(partialPass.quarter)}`;
  const reason =
    `no baseline bug in ${m} run(s) against the baseline's ${k}/${n}: ${ruledOut} is ruled out at ` +
    `${pct(ctx.confidence)} (p = ${p2(test.pValue)} <= level ${p2(test.level)}); ${passes}`;
  return { test, partialPass, reason };
}

function inconclusiveReason(t: Tally, cal: Calibration, ctx: JudgeContext): Explained {
  const { k, n, m } = t.counts;
  const test = { name: "FIXED" as const, pValue: fixedPValue(k, n, m), level: cal.levels.fixed };
  let more = 0;
  while (m + more < 10 * ctx.maxRuns && fixedPValue(k, n, m + more) > test.level) more++;
  const moreNeeded = fixedPValue(k, n, m + more) <= test.level ? more : undefined;
  const need =
    moreNeeded === undefined
      ? "no number of clean runs would be enough against this baseline"
      : `${moreNeeded} more clean run(s) would be needed against this baseline`;
  return {
    test,
    ...(moreNeeded !== undefined && { moreNeeded }),
    reason:
      `clean in ${m} run(s) against the baseline's ${k}/${n}: ` +
      `p = ${p2(test.pValue)} > level ${p2(test.level)} for ${pct(ctx.confidence)}; ${need}`,
  };
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
  for (const r of runs.filter((x) => x.status !== "infra"))
    for (const s of new Set(r.splats.map((x) => x.signature))) counts.set(s, (counts.get(s) ?? 0) + 1);
  const ended = (s: RunStatus) => runs.filter((r) => r.status === s).length;
  return {
    variant,
    runs: runs.length,
    booted: runs.filter(booted).length,
    bugRuns: runs.filter((r) => booted(r) && bugsOfRun(r, {}).primary !== undefined).length,
    hangs: ended("hang"),
    bootFailures: ended("boot-failure"),
    errors: ended("error"),
    infra: ended("infra"),
    signatures: [...counts]
      .map(([signature, n]) => ({ signature, runs: n }))
      .sort((a, b) => b.runs - a.runs || a.signature.localeCompare(b.signature)),
  };
}

/**
 * Stats for every variant and a verdict for every fix against the baseline: one scenario,
 * one kernel, one guest shape, each fix against the baseline runs of its own rounds.
 */
export function judgeVariants(
  baseline: string,
  variants: string[],
  runsOf: (variant: string) => JudgedRun[],
  ctx: JudgeContext,
  judgedAgainst: (variant: string) => number | undefined = () => undefined,
): { stats: VariantStats[]; verdicts: Verdict[] } {
  const judge = (fix: string) => judgeFixInGroup(baseline, runsOf(baseline), fix, runsOf(fix), ctx, judgedAgainst(fix));
  return {
    stats: variants.map((v) => variantStats(v, runsOf(v))),
    verdicts: variants.filter((v) => v !== baseline).map(judge),
  };
}

/** A run's signatures and its ending's: a hang as HANG_SIGNATURE, a report-less crash as CRASH_SIGNATURE. */
export function signaturesOfRun(r: Pick<JudgedRun, "status" | "splats">): string[] {
  return [...r.splats.map((s) => s.signature), ...endingSignatures(r)];
}
