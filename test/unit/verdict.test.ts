import { describe, expect, it } from "vitest";
import { HANG_SIGNATURE } from "../../harness/verdict/bugs.js";
import { baselineEvidence, judgeFix, variantStats, type JudgedRun } from "../../harness/verdict/verdict.js";
import { ended, run, signatureMap } from "../support/runs.js";

// "rcu" and "sleep-bdp" are the baseline's report pair; "sleep-worker" is the same
// atomic-sleep bug reached through the writeback worker.
const signatures = signatureMap({ rcu: "rcu:wb_stats", "sleep-bdp": "sleep:wb_stats", "sleep-worker": "sleep:wb_stats", vfs: "warning:vfs_read", other: "bug:other" });
const judge = (base: JudgedRun[], fix: JudgedRun[], confidence = 0.95) => {
  const ctx = { signatures, confidence };
  return judgeFix(baselineEvidence("before", base, ctx), "fix", fix, ctx);
};
const times = (n: number, r: JudgedRun) => Array<JudgedRun>(n).fill(r);

describe("verdicts on bugs, with honest confidence", () => {
  it("FIXED only when the miss chance at the baseline's lower bound is low enough, and says it", () => {
    const v = judge(times(5, run("rcu", "vfs")), times(4, run()));
    expect(v.verdict).toBe("FIXED");
    expect(v.baseline).toEqual({ variant: "before", k: 5, n: 5, pLow: expect.closeTo(0.05 ** (1 / 5), 9) });
    expect(v.cleanRuns).toBe(4);
    expect(v.missChance).toBeCloseTo((1 - 0.05 ** (1 / 5)) ** 4, 9);
    expect(v.reason).toMatch(/stayed silent with chance 0.041 <= 0.050/);
  });

  it("INCONCLUSIVE, never FIXED, when clean runs are too few: 3 clean vs 3/3 is a 25% miss chance", () => {
    const v = judge(times(3, run("rcu")), times(3, run()));
    expect(v.verdict).toBe("INCONCLUSIVE");
    expect(v.missChance).toBeCloseTo(0.252, 3);
    expect(v.moreNeeded).toBe(4);
    expect(v.reason).toMatch(/^clean in 3 run\(s\); 4 more needed at this baseline rate/);
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

  it("a baseline cascade bug in a fix's cascade is no baseline evidence: the new first report is a REGRESSION", () => {
    const v = judge([run("rcu", "vfs")], [run("other", "vfs")]);
    expect(v.verdict).toBe("REGRESSED");
    expect(v.added).toEqual([{ bug: "bug:other", runs: 1, signatures: ["other"] }]);
  });

  it("REGRESSED when the baseline is clean and a fix run's first report is new: evidence on its own", () => {
    expect(judge([run(), run()], [run("other")]).verdict).toBe("REGRESSED");
  });

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
    expect(judge([run("rcu")], [ended("boot-failure"), run()]).verdict).toBe("INCONCLUSIVE");
    expect(judge([run("rcu")], [ended("infra"), ended("infra")])).toMatchObject({ verdict: "INCONCLUSIVE", cleanRuns: 0 });
  });

  it("stats count runs per signature once, and infra apart", () => {
    const s = variantStats("v", [run("a", "b"), run("a"), ended("hang"), ended("boot-failure", "panic"), ended("infra", "a")]);
    expect(s).toMatchObject({ runs: 5, booted: 3, bugRuns: 3, hangs: 1, bootFailures: 1, infra: 1 });
    expect(s.signatures).toEqual([
      { signature: "a", runs: 2 },
      { signature: "b", runs: 1 },
      { signature: "panic", runs: 1 },
    ]);
  });
});
