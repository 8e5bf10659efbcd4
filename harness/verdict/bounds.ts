/**
 * Exact one-sided Clopper-Pearson bounds for a binomial rate: what each side's evidence says
 * on its own in the reports. A point estimate (k/n, or Laplace's (k+1)/(n+2)) overclaims: 3
 * hits in 3 runs only shows p >= 0.37 at 95%. The verdicts compare the two sides with the
 * calibrated test of fisher.ts, not with these bounds.
 */

/** ln C(n, i), summed directly: n is a run count, never large. */
function lnChoose(n: number, i: number): number {
  let s = 0;
  for (let j = 1; j <= i; j++) s += Math.log(n - i + j) - Math.log(j);
  return s;
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let sum = 0;
  for (let i = k; i <= n; i++) sum += Math.exp(lnChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p));
  return Math.min(1, sum);
}

/** The p in [0, 1] where the increasing function f crosses `target`, by bisection to double precision. */
function solveIncreasing(f: (p: number) => number, target: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function checkCounts(k: number, n: number, confidence: number): void {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || k > n)
    throw new RangeError(`need integers 0 <= k <= n, got ${k}/${n}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
}

/** The lowest rate consistent with k hits in n runs: P(X >= k | n, p) = 1 - confidence (0 when k = 0). */
export function lowerBound(k: number, n: number, confidence: number): number {
  checkCounts(k, n, confidence);
  if (k === 0) return 0;
  // Closed form when every run hit; the bisection agrees, but exact is exact.
  if (k === n) return (1 - confidence) ** (1 / n);
  return solveIncreasing((p) => binomialTail(k, n, p), 1 - confidence);
}

/** The highest rate consistent with k hits in n runs: P(X <= k | n, p) = 1 - confidence (1 when k = n). */
export function upperBound(k: number, n: number, confidence: number): number {
  checkCounts(k, n, confidence);
  if (k === n) return 1;
  if (k === 0) return 1 - (1 - confidence) ** (1 / n);
  // P(X <= k) = 1 - P(X >= k + 1), which falls as p rises.
  return solveIncreasing((p) => binomialTail(k + 1, n, p), confidence);
}
