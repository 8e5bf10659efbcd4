/**
 * The calibrator: the levels at which the whole sequential procedure (rounds of one run per
 * undecided variant, a fix that stops at its first baseline bug, futility stops, max runs)
 * keeps its promise. Computed exactly, by dynamic programming over the count states of one
 * fix and the baseline, with every state decided by `decideFix`, the function the scheduler
 * and the verdicts use. No simulation: each outcome's chance is a polynomial in the true
 * rate, evaluated at that rate, and maximised over the rate.
 *
 * A FIXED of a fix that leaves `residual` of the bug's rate (1: no change at all) must have
 * chance <= 1 - confidence at every true rate; so must a REGRESSED of a fix that changes
 * nothing. The level is the largest value the statistic can take that keeps this.
 */
import { decideFix, fewestRoundsToFixed, type Levels } from "./decide.js";
import { fixedPValue } from "./fisher.js";

export interface ProcedureOutcome {
  fixed: number;
  regressed: number;
  notFixed: number;
  /** Mean rounds until the fix is decided (the baseline runs in each of them too). */
  rounds: number;
}

type Code = "go" | "FIXED" | "REGRESSED" | "NOT FIXED" | "other";

/**
 * When the baseline runs: 0, one run beside each fix run (the rounds of `run` and
 * `matrix`); n > 0, n runs before the first fix run and none after (a bisection's bad
 * revision, checked before any step).
 */
export type BaselineFirst = number;

/** The decision at each count state after round r: baseline k hits, fix y hits (one of them 0 while alive). */
function decisionTable(lv: Levels, baseFirst: BaselineFirst): (r: number, k: number, y: number) => Code {
  const memo = new Map<number, Code>();
  return (r, k, y) => {
    const key = (r * 64 + k) * 64 + y;
    let code = memo.get(key);
    if (code === undefined) {
      // The fix's hits are the baseline's bug once the baseline has shown it.
      const n = baseFirst || r;
      const c = {
        k,
        n,
        baseEvidence: n,
        baseDone: baseFirst > 0 || r >= lv.maxRuns,
        m: r,
        fixEvidence: r,
        j: k > 0 ? y : 0,
        y: k > 0 ? 0 : y,
      };
      const d = decideFix(c, lv);
      code = !d.done
        ? "go"
        : d.verdict === "FIXED" || d.verdict === "REGRESSED" || d.verdict === "NOT FIXED"
          ? d.verdict
          : "other";
      memo.set(key, code);
    }
    return code;
  };
}

const tables = new Map<string, ReturnType<typeof decisionTable>>();
function tableFor(lv: Levels, baseFirst: BaselineFirst) {
  const key = `${lv.fixed}/${lv.regressed}/${lv.maxRuns}/${baseFirst}`;
  let t = tables.get(key);
  if (!t) tables.set(key, (t = decisionTable(lv, baseFirst)));
  return t;
}

/** The chances of k hits in n runs at rate p, for k = 0..n. */
function binomial(n: number, p: number): number[] {
  const out = [1];
  for (let i = 0; i < n; i++) out.push(0);
  for (let i = 0; i < n; i++)
    for (let k = i + 1; k >= 0; k--) out[k] = (out[k] ?? 0) * (1 - p) + (k > 0 ? out[k - 1]! * p : 0);
  return out;
}

/** One fix against the baseline, each run a hit with chance pBase (baseline) or pFix (fix): how it ends. */
export function procedureOutcome(
  lv: Levels,
  pBase: number,
  pFix: number,
  baseFirst: BaselineFirst = 0,
): ProcedureOutcome {
  const decide = tableFor(lv, baseFirst);
  const size = Math.max(lv.maxRuns, baseFirst) + 1;
  // k * size + y -> chance; a baseline that runs first starts with its binomial counts.
  let alive = new Map<number, number>(binomial(baseFirst, pBase).map((c, k) => [k * size, c]));
  const baseRate = baseFirst > 0 ? 0 : pBase;
  const out: ProcedureOutcome = { fixed: 0, regressed: 0, notFixed: 0, rounds: 0 };
  for (let r = 1; r <= lv.maxRuns && alive.size > 0; r++) {
    const next = new Map<number, number>();
    for (const [state, chance] of alive) {
      out.rounds += chance;
      const k0 = Math.floor(state / size);
      const y0 = state % size;
      for (const [bh, pb] of [
        [1, baseRate],
        [0, 1 - baseRate],
      ] as const) {
        for (const [fh, pf] of [
          [1, pFix],
          [0, 1 - pFix],
        ] as const) {
          const p = chance * pb * pf;
          if (p === 0) continue;
          const [k, y] = [k0 + bh, y0 + fh];
          const code = decide(r, k, y);
          if (code === "go") next.set(k * size + y, (next.get(k * size + y) ?? 0) + p);
          else if (code === "FIXED") out.fixed += p;
          else if (code === "REGRESSED") out.regressed += p;
          else if (code === "NOT FIXED") out.notFixed += p;
        }
      }
    }
    alive = next;
  }
  return out;
}

/** The largest value of f on (0, 1]: a grid, then a golden-section search around its best points. */
export function supremum(f: (p: number) => number, grid = 200): { value: number; at: number } {
  const xs = Array.from({ length: grid }, (_, i) => (i + 1) / grid);
  const ys = xs.map(f);
  const best = xs
    .map((x, i) => ({ x, y: ys[i]! }))
    .sort((a, b) => b.y - a.y)
    .slice(0, 3);
  let top = best[0]!;
  for (const { x } of best) {
    let [lo, hi] = [Math.max(1e-6, x - 1 / grid), Math.min(1, x + 1 / grid)];
    const g = (Math.sqrt(5) - 1) / 2;
    for (let i = 0; i < 40; i++) {
      const a = hi - g * (hi - lo);
      const b = lo + g * (hi - lo);
      if (f(a) > f(b)) hi = b;
      else lo = a;
    }
    const mid = (lo + hi) / 2;
    const y = f(mid);
    if (y > top.y) top = { x: mid, y };
  }
  return { value: top.y, at: top.x };
}

/** Every value FIXED's statistic takes in the synchronous rounds, ascending: the levels worth trying. */
export function attainableLevels(maxRuns: number, baseFirst: BaselineFirst = 0): number[] {
  const values = new Set<number>();
  for (let r = 1; r <= maxRuns; r++)
    for (let k = 1; k <= (baseFirst || r); k++) values.add(fixedPValue(k, baseFirst || r, r));
  return [...values].sort((a, b) => a - b);
}

/** The largest level in `levels` (ascending) for which `worst` is at most `allowed`; 0 when none is. */
function largestSafe(levels: number[], allowed: number, worst: (level: number) => number): number {
  let [lo, hi] = [-1, levels.length - 1]; // invariant: levels[lo] is safe (or lo = -1), above hi is not
  while (lo < hi) {
    const mid = Math.ceil((lo + hi + 1) / 2);
    if (worst(levels[mid]!) <= allowed) lo = mid;
    else hi = mid - 1;
  }
  return lo < 0 ? 0 : levels[lo]!;
}

export interface Calibration {
  maxRuns: number;
  confidence: number;
  residual: number;
  baseFirst: BaselineFirst;
  levels: Levels;
  /** The worst chance, over every true rate, of FIXED for a fix leaving `residual` of the rate, and where. */
  worstFalseFixed: { value: number; at: number };
  /** The worst chance of REGRESSED for a fix that changes nothing. */
  worstFalseRegressed: { value: number; at: number };
  /** The worst chance that a fix leaving half, or a quarter, of the bug's rate is called FIXED. */
  partialPass: { half: number; quarter: number };
  /** The fewest rounds to FIXED (against a baseline that always reproduces); none when out of reach. */
  fewestRounds?: number;
}

/** The worst chance over the true rate p that the procedure says FIXED when the fix keeps `share` of p. */
export const worstFixedAt = (lv: Levels, share: number, baseFirst: BaselineFirst = 0) =>
  supremum((p) => procedureOutcome(lv, p, share * p, baseFirst).fixed);
export const worstRegressed = (lv: Levels, baseFirst: BaselineFirst = 0) =>
  supremum((p) => procedureOutcome(lv, p, p, baseFirst).regressed);

function computeCalibration(
  maxRuns: number,
  confidence: number,
  residual: number,
  baseFirst: BaselineFirst,
): Calibration {
  const allowed = 1 - confidence;
  const levels = attainableLevels(maxRuns, baseFirst);
  // REGRESSED (off while FIXED's level is found) never changes when FIXED can happen: a fix
  // with a hit can only be NOT FIXED once the baseline shows that bug.
  const fixed = largestSafe(
    levels,
    allowed,
    (l) => worstFixedAt({ fixed: l, regressed: -1, maxRuns }, residual, baseFirst).value,
  );
  const regressed = largestSafe(
    levels,
    allowed,
    (l) => worstRegressed({ fixed, regressed: l, maxRuns }, baseFirst).value,
  );
  const lv = { fixed, regressed, maxRuns };
  return {
    maxRuns,
    confidence,
    residual,
    baseFirst,
    levels: lv,
    worstFalseFixed: worstFixedAt(lv, residual, baseFirst),
    worstFalseRegressed: worstRegressed(lv, baseFirst),
    partialPass: { half: worstFixedAt(lv, 0.5, baseFirst).value, quarter: worstFixedAt(lv, 0.25, baseFirst).value },
    ...(fewestRoundsToFixed(lv) !== undefined && { fewestRounds: fewestRoundsToFixed(lv)! }),
  };
}

const calibrations = new Map<string, Calibration>();

/** The calibration for a budget, a confidence, a residual share and a baseline schedule (computed once per process). */
export function calibrate(
  maxRuns: number,
  confidence: number,
  residual = 1,
  baseFirst: BaselineFirst = 0,
): Calibration {
  if (!Number.isInteger(maxRuns) || maxRuns < 1 || maxRuns > 60)
    throw new RangeError(`max runs must be an integer in 1..60, got ${maxRuns}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (!(residual > 0 && residual <= 1)) throw new RangeError(`residual must be in (0, 1], got ${residual}`);
  const key = `${maxRuns}/${confidence}/${residual}/${baseFirst}`;
  let c = calibrations.get(key);
  if (!c) calibrations.set(key, (c = computeCalibration(maxRuns, confidence, residual, baseFirst)));
  return c;
}

/** What the procedure promises and costs, in one paragraph, for the plan printed before the runs start. */
export function describeProcedure(c: Calibration): string {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  const f = (x: number) => x.toPrecision(2);
  const claim =
    c.residual === 1 ? `"the fix changes nothing"` : `a fix leaving ${pct(c.residual)} or more of the bug's rate`;
  const cost =
    c.fewestRounds === undefined
      ? `FIXED is out of reach within ${c.maxRuns} runs: raise --max-runs or the residual`
      : `a real fix needs at least ${c.fewestRounds} clean runs against a baseline that reproduces every time`;
  return [
    `verdicts at ${pct(c.confidence)} over the whole sequential procedure (up to ${c.maxRuns} runs per variant):`,
    `FIXED rules out ${claim} (one-sided Fisher test at calibrated level ${f(c.levels.fixed)}; ` +
      `worst false FIXED ${f(c.worstFalseFixed.value)});`,
    `${cost}; a fix leaving half the rate passes with chance <= ${f(c.partialPass.half)}, ` +
      `a quarter <= ${f(c.partialPass.quarter)}`,
  ].join(" ");
}
