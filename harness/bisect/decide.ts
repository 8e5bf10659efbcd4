import { signatureLabel } from "../parse/describe.js";
import type { BisectDirection, StepState } from "../records/bisect.js";
import { cleanRunsNeeded, missChance } from "../verdict/bounds.js";

export type { BisectDirection, StepState };

/**
 * Bisection decisions as pure functions: what one commit's runs say (splat, clean, or not
 * yet known), how many clean runs make "clean" trustworthy at the measured reproduction
 * rate's lower bound, and what the whole bisection's answer is worth.
 */

/** One VM run of a bisection step. */
export interface StepRun {
  /** completed / crash / hang: the kernel booted and ran the workload. */
  booted: boolean;
  /** Signatures seen in the run (hang included). */
  signatures: string[];
}

/** What the target splat looks like: a set of signatures, any of which counts. */
export type Target = ReadonlySet<string>;

/** The chance that `clean` runs of a commit with the bug at `rate` would have shown it. */
export function cleanConfidence(rate: number, clean: number): number {
  return 1 - missChance(rate, clean);
}

export function hasTarget(run: StepRun, target: Target): boolean {
  return run.signatures.some((s) => target.has(s));
}

/**
 * Classify a commit from its runs so far. `rate` is the reproduction rate's exact lower
 * bound (3 hits in 3 runs: 0.37 at 95%, so 7 clean runs). `maxRuns` bounds the work on one
 * commit; a commit clean at the budget is called clean with the lower confidence it has.
 */
export function classifyStep(runs: StepRun[], target: Target, rate: number, confidence: number, maxRuns: number): StepState {
  const booted = runs.filter((r) => r.booted);
  const hits = booted.filter((r) => hasTarget(r, target)).length;
  if (hits > 0) return { state: "splat", hits, runs: booted.length };
  if (booted.length === 0 && runs.length > 0) return { state: "skip", reason: `none of ${runs.length} run(s) booted` };
  const needed = Math.min(cleanRunsNeeded(rate, confidence), maxRuns);
  if (booted.length >= needed) return { state: "clean", runs: booted.length, confidence: cleanConfidence(rate, booted.length) };
  // Runs that failed to boot count against the budget, so a flaky boot cannot loop forever.
  if (runs.length >= maxRuns) return { state: "skip", reason: `only ${booted.length} of ${runs.length} run(s) booted` };
  return { state: "more", runs: booted.length, needed };
}

/**
 * The culprit is right if every commit called clean really was clean (a splat is proof).
 * So its confidence is the product of the clean steps' confidences, at the final rate bound.
 */
export function culpritConfidence(cleanRunsPerStep: number[], rate: number): number {
  return cleanRunsPerStep.reduce((p, n) => p * cleanConfidence(rate, n), 1);
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
  return matches.length > 0 ? { target: new Set(matches.map((s) => s.signature)) } : { target: new Set(), unmatched: w };
}
