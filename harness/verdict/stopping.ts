/**
 * Sequential runs: after each round (one run of every undecided variant), which variants
 * need another run and why. Pure: the scheduler calls planGroup with every run so far, so
 * a fix that looked FIXED against an early baseline bound is judged again at the current
 * one (the bound can fall when the baseline misses).
 *
 * Budgets: at most maxRuns runs that are evidence (booted, boot failure or error) per
 * variant, and separately at most maxRuns infra runs: the host's failures never count as
 * evidence, but a host that keeps failing must not loop forever.
 */
import type { SignatureRecord } from "../records/run.js";
import { cleanRunsNeeded, lowerBound } from "./bounds.js";
import { booted, runBugs, type JudgedRun } from "./bugs.js";
import { baselineBugsIn, baselineEvidence, judgeFix, nameBug, type BaselineEvidence, type Verdict } from "./verdict.js";

export interface GroupPlanInput {
  baseline: string;
  /** Every variant of the group, the baseline included ([] before its first run). */
  runs: Record<string, JudgedRun[]>;
  signatures: Record<string, SignatureRecord>;
  confidence: number;
  maxRuns: number;
}

export interface VariantPlan {
  /** No more runs: the verdict is decided, or a budget is spent. */
  done: boolean;
  why: string;
}

const bound = (b: Pick<BaselineEvidence, "k" | "n" | "pLow">) => `baseline bound ${b.pLow.toFixed(2)} (${b.k}/${b.n})`;

/** The budget a variant has spent, if it has: evidence runs, or infra runs. */
function budgetSpent(runs: JudgedRun[], maxRuns: number): string | undefined {
  const infra = runs.filter((r) => r.status === "infra").length;
  if (runs.length - infra >= maxRuns) return `max runs ${maxRuns} reached`;
  if (infra >= maxRuns) return `infra cap reached: ${infra} runs spoiled by the host (never evidence)`;
  return undefined;
}

/** Clean runs a fix needs for FIXED at the bound the baseline has: k hits in n booted runs. */
export function fixRunsNeeded(k: number, n: number, confidence: number): number {
  return cleanRunsNeeded(lowerBound(k, n, confidence), confidence);
}

/**
 * The baseline on its own: it runs until one more hit would not lower the clean runs a fix
 * needs (the bound is as useful as it will get soon), or until it clearly does not
 * reproduce: even if every run left in its budget hit, no fix could be FIXED within
 * maxRuns (futility), or its budget is spent.
 */
function baselinePlan(base: BaselineEvidence, runs: JudgedRun[], input: GroupPlanInput): VariantPlan {
  const { confidence, maxRuns } = input;
  const spent = budgetSpent(runs, maxRuns);
  if (base.k === 0) {
    if (spent) return { done: true, why: `not reproduced: 0/${base.n}; ${spent}` };
    const left = maxRuns - runs.filter((r) => r.status !== "infra").length;
    const bestCase = fixRunsNeeded(left, base.n + left, confidence);
    if (base.n > 0 && bestCase > maxRuns) {
      return { done: true, why: `not reproduced: 0/${base.n}; even ${left} hit(s) in the ${left} run(s) left would leave a fix needing ${bestCase} clean runs, over max runs ${maxRuns}` };
    }
    return { done: false, why: `not reproduced yet: 0/${base.n}` };
  }
  if (spent) return { done: true, why: `${spent}; ${bound(base)}` };
  const now = fixRunsNeeded(base.k, base.n, confidence);
  const next = fixRunsNeeded(base.k + 1, base.n + 1, confidence);
  if (now - next < 1) return { done: true, why: `${bound(base)}: another hit would not lower the runs a fix needs (${now})` };
  return { done: false, why: `${bound(base)}: a fix needs ${now} clean runs; another hit would lower that to ${next}` };
}

/**
 * A fix stops at its first run with a baseline bug (NOT FIXED: known only once the
 * baseline showed that bug), or once FIXED at the current bound. REGRESSED and NOT
 * REPRODUCED wait for the baseline to finish: a later baseline run may show the bug.
 * BROKEN needs every try to fail, so it and INCONCLUSIVE run to the budget.
 */
function fixPlan(v: Verdict, base: BaselineEvidence, runs: JudgedRun[], input: GroupPlanInput, baselineDone: boolean): VariantPlan {
  if (v.verdict === "NOT FIXED") {
    const at = runs.findIndex((r) => booted(r) && baselineBugsIn(runBugs(r, input.signatures), base).length > 0) + 1;
    return { done: true, why: `NOT FIXED at run ${at}: ${nameBug(v.remaining[0]!, input.signatures)}` };
  }
  if (v.verdict === "FIXED") {
    return { done: true, why: `FIXED: miss chance ${v.missChance!.toFixed(3)} <= ${(1 - input.confidence).toFixed(3)} after ${v.cleanRuns} clean runs at ${bound(base)}` };
  }
  if (baselineDone && (v.verdict === "REGRESSED" || v.verdict === "NOT REPRODUCED")) return { done: true, why: `${v.verdict}: ${v.reason}; the baseline is done` };
  const spent = budgetSpent(runs, input.maxRuns);
  if (spent) return { done: true, why: `${spent}: ${v.verdict} - ${v.reason}` };
  if (base.k === 0) return { done: false, why: `waiting for the baseline to reproduce (0/${base.n})` };
  return { done: false, why: `${v.verdict}: ${v.reason}` };
}

/** For each variant of one group: does it need another run, and why (see the rules above). */
export function planGroup(input: GroupPlanInput): Record<string, VariantPlan> {
  const ctx = { signatures: input.signatures, confidence: input.confidence };
  const baseRuns = input.runs[input.baseline] ?? [];
  const base = baselineEvidence(input.baseline, baseRuns, ctx);
  const own = baselinePlan(base, baseRuns, input);
  const fixes = Object.keys(input.runs).filter((v) => v !== input.baseline);
  const plans: Record<string, VariantPlan> = {};
  for (const f of fixes) plans[f] = fixPlan(judgeFix(base, f, input.runs[f]!, ctx), base, input.runs[f]!, input, own.done);
  // With every fix decided, more baseline runs would change no verdict.
  const everyFixDone = fixes.length > 0 && fixes.every((f) => plans[f]!.done);
  plans[input.baseline] = !own.done && everyFixDone ? { done: true, why: `every fix is decided; ${bound(base)}` } : own;
  return plans;
}
