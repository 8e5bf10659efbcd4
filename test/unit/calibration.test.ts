/**
 * The proof that the verdicts keep their confidence, over the whole sequential procedure:
 * the exact pass drives the product's own round loop (nextRound) and verdicts (judgeGroups)
 * through every reachable state, at every rate of a grid.
 */
import { describe, expect, it } from "vitest";
import { calibrate, procedureOutcome } from "../../harness/verdict/calibrate.js";
import { exactPass, rateGrid, worst } from "../support/exactPass.js";

const rates = rateGrid(0.01);
const budgets = Array.from({ length: 25 }, (_, i) => i + 6);
const cases = [0.9, 0.95, 0.99].flatMap((confidence) => budgets.map((maxRuns) => ({ maxRuns, confidence })));

describe("the exact pass over the round loop and the verdicts", () => {
  it.each(cases)(
    "max runs $maxRuns at $confidence: false FIXED and false REGRESSED stay within 1 - confidence",
    (c) => {
      const s = { ...c, residual: 1 };
      const unchanged = exactPass(s, rates, 1);
      const allowed = 1 - c.confidence + 1e-12;
      expect(worst(unchanged.get("FIXED"))).toBeLessThanOrEqual(allowed);
      expect(worst(unchanged.get("REGRESSED"))).toBeLessThanOrEqual(allowed);
      // The calibrator's own count-state DP is the same procedure: equal chances at every rate.
      const { levels } = calibrate(c.maxRuns, c.confidence);
      rates.forEach((p, i) =>
        expect(procedureOutcome(levels, p, p).fixed).toBeCloseTo(unchanged.get("FIXED")?.[i] ?? 0, 12),
      );
    },
  );

  it.each([0.5, 0.25].flatMap((residual) => [6, 12, 20, 30].map((maxRuns) => ({ residual, maxRuns }))))(
    "--residual $residual, max runs $maxRuns: a fix at that share of the rate is FIXED at most 5% of the time",
    (c) => {
      const partial = exactPass({ ...c, confidence: 0.95 }, rates, c.residual);
      expect(worst(partial.get("FIXED"))).toBeLessThanOrEqual(0.05 + 1e-12);
    },
  );

  it("a real fix is FIXED in 3 rounds against a baseline that always reproduces, and often at half that rate", () => {
    const real = exactPass({ maxRuns: 12, confidence: 0.95, residual: 1 }, [0.5, 1], 0);
    expect(real.get("FIXED")![1]).toBeCloseTo(1, 12);
    expect(real.get("FIXED")![0]).toBeGreaterThan(0.9);
    expect(calibrate(12, 0.95).fewestRounds).toBe(3);
  });
});
