import type { Verdict } from "../verdict/verdict.js";

/** How sure a verdict is, in words every report shares. */

const pct = (c: number) => `${Math.round(c * 1000) / 10}%`;

/** "baseline 3/3 booted runs reproduced: rate >= 0.37 at 95%" */
export function baselineText(v: Pick<Verdict, "baseline" | "confidence">): string {
  const { k, n, pLow } = v.baseline;
  return `baseline ${k}/${n} booted runs reproduced: rate >= ${pLow.toFixed(2)} at ${pct(v.confidence)}`;
}

/** "miss chance (1-0.37)^7 = 0.040 <= 0.05", with the runs still needed when it is too high; none when not computable. */
export function missText(v: Pick<Verdict, "baseline" | "confidence" | "cleanRuns" | "missChance" | "moreNeeded">): string | undefined {
  if (v.missChance === undefined) return undefined;
  const allowed = 1 - v.confidence;
  const chance = `miss chance (1-${v.baseline.pLow.toFixed(2)})^${v.cleanRuns} = ${v.missChance.toPrecision(2)}`;
  if (v.missChance <= allowed) return `${chance} <= ${allowed.toPrecision(2)}`;
  return `${chance} > ${allowed.toPrecision(2)}${v.moreNeeded !== undefined ? `: ${v.moreNeeded} more clean run(s) needed` : ""}`;
}

/** Both, on one line. */
export function evidenceText(v: Verdict): string {
  return [baselineText(v), missText(v)].filter(Boolean).join("; ");
}
