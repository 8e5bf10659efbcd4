import type { RunFile } from "../records/run.js";
import { lowerBound } from "../verdict/bounds.js";
import type { VariantStats, Verdict } from "../verdict/verdict.js";

/** How sure a verdict is, in words every report shares. */

const pct = (c: number) => `${Math.round(c * 1000) / 10}%`;

/** "baseline 3/3 booted runs reproduced: rate >= 0.37 at 95%" */
export function baselineText(v: {
  baseline: Pick<Verdict["baseline"], "k" | "n" | "pLow">;
  confidence: number;
}): string {
  const { k, n, pLow } = v.baseline;
  return `baseline ${k}/${n} booted runs reproduced: rate >= ${pLow.toFixed(2)} at ${pct(v.confidence)}`;
}

/** The baseline's whole evidence in a group (a fix is judged on the rounds it shared with it: `baselineText`). */
export function groupBaselineText(stats: Pick<VariantStats, "bugRuns" | "booted">, confidence: number): string {
  return baselineText({
    baseline: { k: stats.bugRuns, n: stats.booted, pLow: lowerBound(stats.bugRuns, stats.booted, confidence) },
    confidence,
  });
}

/** "fix 0/3 booted runs with a baseline bug: rate <= 0.63 at 95%" */
export function fixText(v: Pick<Verdict, "cleanRuns" | "fixBooted" | "pHigh" | "confidence">): string {
  const j = v.fixBooted - v.cleanRuns;
  return (
    `fix ${j}/${v.fixBooted} booted runs with a baseline bug: ` +
    `rate <= ${v.pHigh.toFixed(2)} at ${pct(v.confidence)}`
  );
}

/** "FIXED test p = 0.050 <= calibrated level 0.083", with the runs still needed when it is too high. */
export function testText(v: Pick<Verdict, "test" | "moreNeeded">): string | undefined {
  if (!v.test) return undefined;
  const { name, pValue, level } = v.test;
  const line =
    `${name} test p = ${pValue.toPrecision(2)} ${pValue <= level ? "<=" : ">"} ` +
    `calibrated level ${level.toPrecision(2)}`;
  return v.moreNeeded === undefined ? line : `${line}: ${v.moreNeeded} more clean run(s) needed`;
}

/** "trial window 8.2 s; 2 clean run(s) cut at a shorter window left out" */
export function windowText(v: Pick<Verdict, "windowMs" | "leftOut">): string | undefined {
  if (v.windowMs === undefined) return undefined;
  const left = v.leftOut ? `; ${v.leftOut} clean run(s) cut at a shorter window left out` : "";
  return (
    `trial window ${(v.windowMs / 1000).toFixed(1)} s ` +
    `(from the baseline's first-report times, with a floor)${left}`
  );
}

/** The evidence behind a verdict, in parts; NOT FIXED is a fact about the fix's runs, not a rate comparison. */
export function evidenceParts(v: Verdict): string[] {
  if (v.verdict === "NOT FIXED") return [fixText(v)];
  return [baselineText(v), fixText(v), testText(v), windowText(v)].filter((x): x is string => x !== undefined);
}

/** All of it, on one line. */
export function evidenceText(v: Verdict): string {
  return evidenceParts(v).join("; ");
}

/**
 * The accelerator of each arch's guests: "tcg" for one arch, "x86_64 kvm, arm64 tcg" for several, "?"
 * before any boot.
 */
export function accelsText(run: Pick<RunFile, "accels">): string {
  const entries = Object.entries(run.accels ?? {});
  if (entries.length === 0) return "?";
  if (entries.length === 1) return entries[0]![1]!.accel;
  return entries.map(([arch, a]) => `${arch} ${a!.accel}`).join(", ");
}
