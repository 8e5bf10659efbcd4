/**
 * The one decision: from a fix's counts and the baseline's, in the same rounds, either
 * another round or a verdict. The scheduler, the verdicts and the calibrator all call this
 * function, so the level that the calibrator proves safe is the level of the procedure that
 * really runs.
 */
import type { VerdictName } from "../records/common.js";
import { fixedPValue, regressedPValue } from "./fisher.js";

/** What one fix and the baseline showed so far, as counts. */
export interface FixCounts {
  /** Baseline: booted runs with a bug (k) of its booted runs (n); evidence runs (booted, boot failures, errors). */
  k: number;
  n: number;
  baseEvidence: number;
  /** The baseline gets no more runs (its budget is spent). */
  baseDone: boolean;
  /** Fix: booted runs with a baseline bug (j) of its booted runs (m); evidence runs. */
  j: number;
  m: number;
  fixEvidence: number;
  /** Booted fix runs whose first report is the fix's most frequent bug that the baseline never showed. */
  y: number;
}

/** The calibrated levels of the two tests, and the run budget they were calibrated for. */
export interface Levels {
  fixed: number;
  regressed: number;
  maxRuns: number;
}

export interface FixDecision {
  /** The verdict: final when done, the standing so far when not. */
  verdict: VerdictName;
  done: boolean;
  /** What decided it, in counts. */
  why: string;
}

const p3 = (p: number) => p.toPrecision(3);

/**
 * NOT FIXED is a fact (a baseline bug in a fix run). REGRESSED and FIXED are tests at the
 * calibrated levels. A fix stops as soon as FIXED cannot be reached within the budget even
 * if every run left is clean and every baseline run left hits (futility), unless a new bug
 * may still become significant.
 */
export function decideFix(c: FixCounts, lv: Levels): FixDecision {
  if (c.j > 0) return { verdict: "NOT FIXED", done: true, why: `a baseline bug in ${c.j} of ${c.m} fix run(s)` };
  const reg = regressedPValue(c.y, c.m, c.n);
  if (c.y > 0 && reg <= lv.regressed) {
    return {
      verdict: "REGRESSED",
      done: true,
      why: `new bug ${c.y}/${c.m} against 0/${c.n}: p = ${p3(reg)} <= ${p3(lv.regressed)}`,
    };
  }
  const fixed = fixedPValue(c.k, c.n, c.m);
  if (c.k > 0 && fixed <= lv.fixed) {
    return {
      verdict: "FIXED",
      done: true,
      why: `baseline ${c.k}/${c.n} against fix 0/${c.m}: p = ${p3(fixed)} <= ${p3(lv.fixed)}`,
    };
  }
  const nLeft = c.baseDone ? 0 : Math.max(0, lv.maxRuns - c.baseEvidence);
  const mLeft = Math.max(0, lv.maxRuns - c.fixEvidence);
  const canFix = fixedPValue(c.k + nLeft, c.n + nLeft, c.m + mLeft) <= lv.fixed;
  const canRegress = c.y > 0 && regressedPValue(c.y + mLeft, c.m + mLeft, c.n + nLeft) <= lv.regressed;
  const standing: VerdictName =
    c.fixEvidence === 0 ? "INCONCLUSIVE" : c.m === 0 ? "BROKEN" : c.k === 0 ? "NOT REPRODUCED" : "INCONCLUSIVE";
  if (mLeft === 0) return { verdict: standing, done: true, why: `max runs ${lv.maxRuns} reached` };
  // A fix gets one run at least: it may show the baseline's bug (NOT FIXED) even where FIXED is out of reach.
  if (!canFix && !canRegress && c.fixEvidence > 0) {
    return {
      verdict: standing,
      done: true,
      why: `FIXED is out of reach within ${lv.maxRuns} runs even if every run left is clean`,
    };
  }
  return {
    verdict: standing,
    done: false,
    why: `baseline ${c.k}/${c.n}, fix 0/${c.m}: p = ${p3(fixed)} > ${p3(lv.fixed)}`,
  };
}

/** The fewest rounds in which a real fix can be FIXED: against a baseline that hits every run. */
export function fewestRoundsToFixed(lv: Levels): number | undefined {
  for (let r = 1; r <= lv.maxRuns; r++) if (fixedPValue(r, r, r) <= lv.fixed) return r;
  return undefined;
}
