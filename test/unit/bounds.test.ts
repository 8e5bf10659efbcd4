import { describe, expect, it } from "vitest";
import { binomialTail, cleanRunsNeeded, lowerBound, missChance, upperBound } from "../../harness/verdict/bounds.js";

describe("exact one-sided Clopper-Pearson bounds", () => {
  it("3 of 3 at 95% only shows p >= 0.368 = 0.05^(1/3)", () => {
    expect(lowerBound(3, 3, 0.95)).toBeCloseTo(0.05 ** (1 / 3), 12);
    expect(lowerBound(3, 3, 0.95)).toBeCloseTo(0.368, 3);
    expect(upperBound(3, 3, 0.95)).toBe(1);
  });

  it("matches the beta quantiles (lower = Beta(k, n-k+1).ppf(1-c), upper = Beta(k+1, n-k).ppf(c))", () => {
    // Values from scipy.stats.beta.ppf, computed independently of this code.
    expect(lowerBound(1, 3, 0.95)).toBeCloseTo(0.0169524275084415, 9); // = 1 - 0.95^(1/3)
    expect(lowerBound(2, 3, 0.95)).toBeCloseTo(0.13535036217158378, 9);
    expect(lowerBound(5, 10, 0.95)).toBeCloseTo(0.2224411010081294, 9);
    expect(upperBound(5, 10, 0.95)).toBeCloseTo(0.7775588989918706, 9);
  });

  it("0 of 5: lower 0, upper 1 - 0.05^(1/5) = 0.451", () => {
    expect(lowerBound(0, 5, 0.95)).toBe(0);
    expect(upperBound(0, 5, 0.95)).toBeCloseTo(1 - 0.05 ** (1 / 5), 12);
    expect(upperBound(0, 5, 0.95)).toBeCloseTo(0.451, 3);
  });

  it("the bounds solve their defining equations", () => {
    for (const [k, n] of [[1, 4], [2, 7], [4, 9], [7, 12]] as const) {
      expect(binomialTail(k, n, lowerBound(k, n, 0.9))).toBeCloseTo(0.1, 9);
      expect(1 - binomialTail(k + 1, n, upperBound(k, n, 0.9))).toBeCloseTo(0.1, 9);
    }
  });

  it("rejects counts that are not k of n", () => {
    expect(() => lowerBound(4, 3, 0.95)).toThrow(RangeError);
    expect(() => upperBound(1, 3, 1)).toThrow(RangeError);
  });
});

describe("clean runs", () => {
  it("the miss chance of 3 clean runs at 3/3 is 25%; 7 are needed for 95%", () => {
    const p = lowerBound(3, 3, 0.95);
    expect(missChance(p, 3)).toBeCloseTo(0.252, 3);
    expect(cleanRunsNeeded(p, 0.95)).toBe(7);
    expect(missChance(p, 7)).toBeLessThanOrEqual(0.05);
    expect(missChance(p, 6)).toBeGreaterThan(0.05);
  });

  it("is the smallest M with (1-p)^M <= 1-c, exact at the boundary; Infinity without a hit", () => {
    expect(cleanRunsNeeded(0.5, 0.75)).toBe(2); // 0.25 <= 0.25 exactly
    expect(cleanRunsNeeded(0.5, 0.95)).toBe(5);
    expect(cleanRunsNeeded(1, 0.95)).toBe(1);
    expect(cleanRunsNeeded(0, 0.95)).toBe(Infinity);
    expect(cleanRunsNeeded(lowerBound(5, 5, 0.95), 0.95)).toBe(4);
  });
});
