import { signatureLabel } from "../parse/describe.js";
import type { BisectDirection, StepState } from "../records/bisect.js";
import { calibrate, type Calibration } from "../verdict/calibrate.js";
import { decideFix } from "../verdict/decide.js";
import { fixedPValue } from "../verdict/fisher.js";

export type { BisectDirection, StepState };

/**
 * Bisection decisions as pure functions, by the verdicts' own test: a commit is a splat as
 * soon as its runs show a target bug, and clean once its clean runs against the bad
 * revision's check runs pass FIXED's calibrated test (`decideFix`, calibrated for a
 * baseline that runs first: the bad revision is checked before any step).
 */

/** One VM run of a bisection step. */
export interface StepRun {
  /** completed / crash / hang: the kernel booted and ran the workload. */
  booted: boolean;
  /** Bugs seen in the run (family + culprit, as `run` judges them; hang included). */
  bugs: string[];
}

/** What the target looks like: a set of bugs, any of which counts. */
export type Target = ReadonlySet<string>;

export function hasTarget(run: StepRun, target: Target): boolean {
  return run.bugs.some((s) => target.has(s));
}

/** The bad revision's check: k target hits in n booted runs. */
export interface BadEvidence {
  hits: number;
  runs: number;
}

/**
 * The calibration a bisection's clean calls use: the bad revision's booted runs first, then each step up to
 * maxRuns.
 */
export const bisectCalibration = (bad: BadEvidence, confidence: number, maxRuns: number) =>
  calibrate(maxRuns, confidence, 1, Math.max(bad.runs, 1));

/**
 * Classify a commit from its runs so far. `maxRuns` bounds the work on one commit; a commit
 * still undecided when FIXED's test is out of reach is a skip, never a guess.
 */
export function classifyStep(runs: StepRun[], target: Target, bad: BadEvidence, cal: Calibration): StepState {
  const booted = runs.filter((r) => r.booted);
  const hits = booted.filter((r) => hasTarget(r, target)).length;
  if (hits > 0) return { state: "splat", hits, runs: booted.length };
  if (booted.length === 0 && runs.length > 0) return { state: "skip", reason: `none of ${runs.length} run(s) booted` };
  const counts = {
    k: bad.hits,
    n: bad.runs,
    baseEvidence: bad.runs,
    baseDone: true,
    j: 0,
    m: booted.length,
    fixEvidence: runs.length,
    y: 0,
  };
  const d = decideFix(counts, cal.levels);
  if (d.verdict === "FIXED") return { state: "clean", runs: booted.length, confidence: 1 - cal.worstFalseFixed.value };
  if (d.done)
    return {
      state: "skip",
      reason:
        `clean in ${booted.length} of ${runs.length} run(s), ` +
        `but not enough against the bad revision's ${bad.hits}/${bad.runs}: ${d.why}`,
    };
  let more = 1;
  while (booted.length + more < cal.maxRuns && fixedPValue(bad.hits, bad.runs, booted.length + more) > cal.levels.fixed)
    more++;
  return { state: "more", runs: booted.length, needed: booted.length + more };
}

/**
 * The culprit is right if every commit called clean really was clean (a splat is proof): each clean call errs
 * at most `worst`.
 */
export function culpritConfidence(cleanSteps: number, worstFalseClean: number): number {
  return (1 - worstFalseClean) ** cleanSteps;
}

/**
 * git bisect's two terms: the old state and the new state. Cause bisection looks for the
 * first commit with the splat (old: clean); fix bisection for the first without it (old: splat).
 */
export function bisectTerms(direction: BisectDirection): { old: string; new: string; splat: string; clean: string } {
  return direction === "cause"
    ? { old: "good", new: "bad", splat: "bad", clean: "good" }
    : { old: "unfixed", new: "fixed", splat: "unfixed", clean: "fixed" };
}

/** Which signatures are the target: all the bad revision showed, or those matching --signature. */
export function chooseTarget(
  seen: { signature: string; title: string; callPath: string[] }[],
  wanted?: string,
): { target: Set<string>; unmatched?: string } {
  if (!wanted) return { target: new Set(seen.map((s) => s.signature)) };
  const w = wanted.trim();
  const matches = seen.filter((s) => s.signature === w || s.title === w || signatureLabel(s) === w);
  return matches.length > 0
    ? { target: new Set(matches.map((s) => s.signature)) }
    : { target: new Set(), unmatched: w };
}
