import { describe, expect, it } from "vitest";
import { fixRunsNeeded, planGroup } from "../../harness/verdict/stopping.js";
import type { JudgedRun } from "../../harness/verdict/bugs.js";
import { ended, run, signatureMap } from "../support/runs.js";

const signatures = signatureMap({ a: "A", n: "N" });
const times = (k: number, r: JudgedRun) => Array<JudgedRun>(k).fill(r);
const hit = run("a");
const clean = run();

interface Case {
  rule: string;
  baseline: JudgedRun[];
  fix?: JudgedRun[];
  /** [done, why] expected for the baseline and for the fix. */
  base?: [boolean, RegExp];
  fixPlan?: [boolean, RegExp];
}

const CASES: Case[] = [
  { rule: "nothing run yet: both go on", baseline: [], fix: [], base: [false, /not reproduced yet: 0\/0/], fixPlan: [false, /waiting for the baseline/] },
  { rule: "baseline: one hit is a weak bound, another hit would cut the runs a fix needs", baseline: [hit], base: [false, /bound 0\.05 \(1\/1\): a fix needs 59 clean runs; another hit would lower that to 12/] },
  { rule: "baseline: stops when another hit would not lower the runs a fix needs", baseline: times(5, hit), base: [true, /baseline bound 0\.55 \(5\/5\): another hit would not lower the runs a fix needs \(4\)/] },
  { rule: "baseline: 0/4 may still reproduce well enough to judge a fix", baseline: times(4, clean), base: [false, /not reproduced yet: 0\/4/] },
  { rule: "baseline: 0/5 clearly does not reproduce (futility within max runs)", baseline: times(5, clean), base: [true, /not reproduced: 0\/5; even 5 hit\(s\) in the 5 run\(s\) left would leave a fix needing 12 clean runs/] },
  { rule: "baseline: max runs", baseline: [hit, ...times(9, clean)], base: [true, /^max runs 10 reached; baseline bound/] },
  { rule: "baseline: stops once every fix is decided", baseline: times(2, hit), fix: [hit], base: [true, /every fix is decided/] },
  { rule: "fix: NOT FIXED at its first run with a baseline bug", baseline: [hit], fix: [clean, hit], fixPlan: [true, /^NOT FIXED at run 2: A/] },
  { rule: "fix: a bug the baseline has not shown yet does not stop it", baseline: [clean], fix: [hit], fixPlan: [false, /waiting for the baseline to reproduce \(0\/1\)/] },
  { rule: "fix: FIXED once the miss chance is low enough at the current bound", baseline: times(5, hit), fix: times(4, clean), fixPlan: [true, /^FIXED: miss chance 0\.041 <= 0\.050 after 4 clean runs at baseline bound 0\.55 \(5\/5\)/] },
  { rule: "fix: a later baseline miss lowers the bound, and the same clean runs no longer suffice", baseline: [...times(5, hit), clean], fix: times(4, clean), fixPlan: [false, /^INCONCLUSIVE: clean in 4 run\(s\); 2 more needed/] },
  { rule: "fix: max runs", baseline: [hit], fix: times(10, clean), fixPlan: [true, /^max runs 10 reached: INCONCLUSIVE/] },
  { rule: "fix: infra runs do not spend the run budget", baseline: [hit], fix: [...times(9, ended("infra")), clean], fixPlan: [false, /INCONCLUSIVE/] },
  { rule: "fix: infra runs have a cap of their own", baseline: [hit], fix: times(10, ended("infra")), fixPlan: [true, /^infra cap reached: 10 runs/] },
  { rule: "fix: REGRESSED waits for the baseline to be done", baseline: [hit, hit], fix: [run("n")], fixPlan: [false, /^REGRESSED/] },
  { rule: "fix: REGRESSED stops once the baseline is done", baseline: times(5, hit), fix: [run("n")], fixPlan: [true, /^REGRESSED: .*the baseline is done/] },
  { rule: "fix: NOT REPRODUCED stops once the baseline is done", baseline: times(5, clean), fix: [clean], fixPlan: [true, /^NOT REPRODUCED/] },
  { rule: "fix: boot failures are BROKEN only if every try fails, so it goes on", baseline: [hit], fix: times(3, ended("boot-failure")), fixPlan: [false, /^BROKEN/] },
];

describe("sequential stopping rules (95%, max runs 10)", () => {
  it.each(CASES)("$rule", (c) => {
    const runs = { before: c.baseline, ...(c.fix && { fix: c.fix }) };
    const plan = planGroup({ baseline: "before", runs, signatures, confidence: 0.95, maxRuns: 10 });
    for (const [variant, want] of [["before", c.base], ["fix", c.fixPlan]] as const) {
      if (!want) continue;
      expect(plan[variant]!.why).toMatch(want[1]);
      expect(plan[variant]!.done).toBe(want[0]);
    }
  });

  it("fixRunsNeeded is the clean runs for FIXED at a k/n baseline", () => {
    expect(fixRunsNeeded(3, 3, 0.95)).toBe(7);
    expect(fixRunsNeeded(5, 5, 0.95)).toBe(4);
    expect(fixRunsNeeded(0, 5, 0.95)).toBe(Infinity);
  });
});
