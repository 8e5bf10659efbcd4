import { describe, expect, it } from "vitest";
import { HANG_SIGNATURE } from "../../harness/verdict/bugs.js";
import { baselineEvidence, judgeFix, variantStats, type JudgedRun } from "../../harness/verdict/verdict.js";
import { ended, run, signatureMap } from "../support/runs.js";

// "rcu" and "sleep-bdp" are the baseline's report pair; "sleep-worker" is the same
// atomic-sleep bug reached through the writeback worker.
const signatures = signatureMap({
  rcu: "rcu:wb_stats",
  "sleep-bdp": "sleep:wb_stats",
  "sleep-worker": "sleep:wb_stats",
  vfs: "warning:vfs_read",
  other: "bug:other",
});
const judge = (base: JudgedRun[], fix: JudgedRun[], confidence = 0.95, residual = 1) => {
  const ctx = { signatures, confidence, maxRuns: 12, residual };
  return judgeFix(baselineEvidence("before", base, ctx), "fix", fix, ctx);
};
const times = (n: number, r: JudgedRun) => Array<JudgedRun>(n).fill(r);

describe("verdicts on bugs, with calibrated two-sample tests", () => {
  it(
    "FIXED at 3/3 against 0/3 " +
      "(Fisher p = 1/20 within the level calibrated for 12 runs), and says what it rules out",
    () => {
      const v = judge(times(3, run("rcu", "vfs")), times(3, run()));
      expect(v).toMatchObject({ verdict: "FIXED", done: true, cleanRuns: 3, fixBooted: 3 });
      expect(v.baseline).toEqual({ variant: "before", k: 3, n: 3, pLow: expect.closeTo(0.05 ** (1 / 3), 9) });
      expect(v.test).toEqual({ name: "FIXED", pValue: expect.closeTo(1 / 20, 12), level: expect.closeTo(1 / 12, 12) });
      expect(v.pHigh).toBeCloseTo(1 - 0.05 ** (1 / 3), 9);
      expect(v.reason).toMatch(
        /no baseline bug in 3 run\(s\) against the baseline's 3\/3: "the fix changes nothing" is ruled out at 95% \(p = 0.050 <= level 0.083\)/,
      );
      expect(v.reason).toMatch(/half the bug's rate would pass with chance <= 0\.19, a quarter <= 0\.44/);
      expect(v.partialPass).toEqual({ half: expect.closeTo(0.191, 3), quarter: expect.closeTo(0.441, 3) });
    },
  );

  it("INCONCLUSIVE, never FIXED, at 2/2 against 0/2 (p = 1/6), with the clean runs still needed", () => {
    const v = judge(times(2, run("rcu")), times(2, run()));
    expect(v).toMatchObject({ verdict: "INCONCLUSIVE", done: false, moreNeeded: 2 });
    expect(v.reason).toMatch(
      /^clean in 2 run\(s\) against the baseline's 2\/2: p = 0.17 > level 0.083 for 95%; 2 more clean run\(s\) would be needed/,
    );
  });

  it("the 40% baseline of the issue: 4/10 against 0/10 is FIXED (p = C(10,4)/C(20,4) = 0.043)", () => {
    const v = judge([...times(4, run("rcu")), ...times(6, run())], times(10, run()));
    expect(v.test!.pValue).toBeCloseTo(210 / 4845, 12);
    expect(v.verdict).toBe("FIXED");
  });

  it("--residual 0.5 asks for more: 3/3 against 0/3 no longer rules a half fix out", () => {
    const v = judge(times(3, run("rcu")), times(3, run()), 0.95, 0.5);
    expect(v.verdict).toBe("INCONCLUSIVE");
    const w = judge(times(5, run("rcu")), times(5, run()), 0.95, 0.5);
    expect(w.verdict).toBe("FIXED");
    expect(w.reason).toMatch(/a fix leaving 50% or more of the bug's rate is ruled out at 95%/);
  });

  it("the rate counts booted runs only; infra runs are never evidence", () => {
    const v = judge([run("rcu"), run(), ended("error", "rcu"), ended("infra", "rcu"), ended("boot-failure")], [run()]);
    expect(v.baseline).toMatchObject({ k: 1, n: 2 });
  });

  it("NOT FIXED when a fix run shows a baseline primary bug, even in its cascade, by another path", () => {
    const v = judge([run("sleep-bdp", "rcu")], [run("other", "sleep-worker"), run()]);
    expect(v.verdict).toBe("NOT FIXED");
    expect(v.remaining).toEqual([{ bug: "sleep:wb_stats", runs: 1, signatures: ["sleep-worker"] }]);
    expect(v.reason).toContain("path-of-sleep-worker");
    expect(v.cleanRuns).toBe(1);
  });

  it("NOT FIXED when a fix run's first report is a bug the baseline showed only in its cascade", () => {
    // The real reorder fix: its worker-path splat follows the baseline's RCU warning there.
    const v = judge([run("rcu", "sleep-bdp", "vfs")], [run("sleep-worker")]);
    expect(v.verdict).toBe("NOT FIXED");
    expect(v.remaining.map((r) => r.bug)).toEqual(["sleep:wb_stats"]);
  });

  it(
    "a baseline cascade bug in a fix's cascade is no baseline evidence: " +
      "a new first report, significant, is REGRESSED",
    () => {
      const v = judge(times(3, run("rcu", "vfs")), times(3, run("other", "vfs")));
      expect(v.verdict).toBe("REGRESSED");
      expect(v.added).toEqual([{ bug: "bug:other", runs: 3, signatures: ["other"] }]);
      expect(v.test).toMatchObject({ name: "REGRESSED", pValue: expect.closeTo(1 / 20, 12) });
    },
  );

  it(
    "one new first report is not REGRESSED (not significant); " +
      "the baseline's bug is still ruled out, and the new one listed",
    () => {
      const v = judge(times(3, run("rcu")), [run("other"), run(), run()]);
      expect(v.verdict).toBe("FIXED");
      expect(v.added).toEqual([{ bug: "bug:other", runs: 1, signatures: ["other"] }]);
    },
  );

  it(
    "REGRESSED against a clean baseline only when significant; " +
      "one hit is NOT REPRODUCED and names what the fix showed",
    () => {
      expect(judge(times(3, run()), times(3, run("other"))).verdict).toBe("REGRESSED");
      const v = judge(times(7, run()), [run("other"), ...times(6, run())]);
      expect(v.verdict).toBe("NOT REPRODUCED");
      expect(v.reason).toMatch(
        /the baseline showed no bug in its 7 booted run\(s\): no verdict against it; the fix showed bug:other/,
      );
    },
  );

  it("a hang without a report is the bug 'hang'", () => {
    const v = judge([ended("hang")], [ended("hang")]);
    expect(v.baseline.k).toBe(1);
    expect(v.verdict).toBe("NOT FIXED");
    expect(v.remaining[0]!.bug).toBe(HANG_SIGNATURE);
  });

  it("NOT REPRODUCED when the baseline showed nothing in its booted runs", () => {
    expect(judge([run(), run()], [run()]).verdict).toBe("NOT REPRODUCED");
    expect(judge([ended("boot-failure")], [run()]).reason).toMatch(/never booted/);
  });

  it("BROKEN only when every run of the fix failed to boot or errored; infra is not a try", () => {
    expect(judge([run("rcu")], [ended("boot-failure"), ended("error"), ended("infra")]).verdict).toBe("BROKEN");
    expect(judge([run("rcu")], [ended("boot-failure"), run()])).toMatchObject({
      verdict: "INCONCLUSIVE",
      cleanRuns: 1,
    });
    expect(judge([run("rcu")], [ended("infra"), ended("infra")])).toMatchObject({
      verdict: "INCONCLUSIVE",
      cleanRuns: 0,
    });
  });

  it("stats count runs per signature once, and infra apart", () => {
    const s = variantStats("v", [
      run("a", "b"),
      run("a"),
      ended("hang"),
      ended("boot-failure", "panic"),
      ended("infra", "a"),
    ]);
    expect(s).toMatchObject({ runs: 5, booted: 3, bugRuns: 3, hangs: 1, bootFailures: 1, infra: 1 });
    expect(s.signatures).toEqual([
      { signature: "a", runs: 2 },
      { signature: "b", runs: 1 },
      { signature: "panic", runs: 1 },
    ]);
  });
});
