import { describe, expect, it } from "vitest";
import { binomialTail, lowerBound, upperBound } from "../../harness/verdict/bounds.js";
import { decideFix } from "../../harness/verdict/decide.js";
import { fixedPValue, regressedPValue } from "../../harness/verdict/fisher.js";

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
    for (const [k, n] of [
      [1, 4],
      [2, 7],
      [4, 9],
      [7, 12],
    ] as const) {
      expect(binomialTail(k, n, lowerBound(k, n, 0.9))).toBeCloseTo(0.1, 9);
      expect(1 - binomialTail(k + 1, n, upperBound(k, n, 0.9))).toBeCloseTo(0.1, 9);
    }
  });

  it("rejects counts that are not k of n", () => {
    expect(() => lowerBound(4, 3, 0.95)).toThrow(RangeError);
    expect(() => upperBound(1, 3, 1)).toThrow(RangeError);
  });
});

describe("Fisher's one-sided statistic, and the decision that uses it", () => {
  it("is C(a, h) / C(a + b, h): 3/3 against 0/3 is 1/20, 4/10 against 0/10 is C(10,4)/C(20,4)", () => {
    expect(fixedPValue(3, 3, 3)).toBeCloseTo(1 / 20, 15);
    expect(fixedPValue(4, 10, 10)).toBeCloseTo(210 / 4845, 15);
    expect(fixedPValue(0, 5, 5)).toBe(1);
    expect(regressedPValue(2, 4, 6)).toBeCloseTo(6 / 45, 15);
    expect(() => fixedPValue(4, 3, 3)).toThrow(RangeError);
  });

  it("decides NOT FIXED first, then REGRESSED, then FIXED, then futility", () => {
    const lv = { fixed: 1 / 12, regressed: 1 / 12, maxRuns: 12 };
    const c = { k: 3, n: 3, baseEvidence: 3, baseDone: false, j: 0, m: 3, fixEvidence: 3, y: 0 };
    expect(decideFix(c, lv)).toMatchObject({ verdict: "FIXED", done: true });
    expect(decideFix({ ...c, j: 1 }, lv)).toMatchObject({ verdict: "NOT FIXED", done: true });
    expect(decideFix({ ...c, k: 0, y: 3 }, lv)).toMatchObject({ verdict: "REGRESSED", done: true });
    expect(decideFix({ ...c, m: 2, fixEvidence: 2 }, lv)).toMatchObject({ verdict: "INCONCLUSIVE", done: false });
    // 1/9 with 3 rounds left: even 4/12 against 0/12 has p = C(12,4)/C(24,4) = 0.047 <= 1/12, so it goes on;
    // 1/11 with one left: 2/12 against 0/12 has p = 0.24, out of reach.
    expect(decideFix({ ...c, k: 1, n: 9, baseEvidence: 9, m: 9, fixEvidence: 9 }, lv).done).toBe(false);
    expect(decideFix({ ...c, k: 1, n: 11, baseEvidence: 11, m: 11, fixEvidence: 11 }, lv)).toMatchObject({
      verdict: "INCONCLUSIVE",
      done: true,
    });
  });
});
