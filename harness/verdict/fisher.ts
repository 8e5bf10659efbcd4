/**
 * The two-sample test behind FIXED and REGRESSED: Fisher's exact test, one-sided, in the
 * case the verdicts meet, where every hit is on one side. Given h hits among a runs of one
 * side and b runs of the other side with none, the chance that h hits spread at random over
 * all a + b runs would all land on the first side is C(a, h) / C(a + b, h). Small means
 * "the same rate on both sides" is hard to believe.
 */

/** C(a, h) / C(a + b, h): the one-sided p-value of h hits in a runs against 0 in b runs. */
export function allHitsOnOneSide(hits: number, hitSideRuns: number, cleanSideRuns: number): number {
  if (!Number.isInteger(hits) || hits < 0 || hits > hitSideRuns || cleanSideRuns < 0) {
    throw new RangeError(`need integers 0 <= hits <= runs, got ${hits}/${hitSideRuns} against 0/${cleanSideRuns}`);
  }
  let p = 1;
  for (let i = 0; i < hits; i++) p *= (hitSideRuns - i) / (hitSideRuns + cleanSideRuns - i);
  return p;
}

/** FIXED's statistic: the baseline's k hits in n runs against the fix's 0 in m. */
export const fixedPValue = (k: number, n: number, m: number) => allHitsOnOneSide(k, n, m);

/** REGRESSED's statistic: a new bug in y of the fix's m runs against 0 of the baseline's n. */
export const regressedPValue = (y: number, m: number, n: number) => allHitsOnOneSide(y, m, n);
