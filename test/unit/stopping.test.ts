import { describe, expect, it } from "vitest";
import { planGroup } from "../../harness/verdict/stopping.js";
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
  decided?: string[];
  /** [done, why] expected for the baseline and for the fix. */
  base?: [boolean, RegExp];
  fixPlan?: [boolean, RegExp];
}

// Max runs 10 at 95%: FIXED's calibrated level is 1/12 (3/3 against 0/3 has p = 1/20).
const CASES: Case[] = [
  {
    rule: "nothing run yet: both go on",
    baseline: [],
    fix: [],
    base: [false, /baseline 0\/0.*1 fix\(es\) undecided/],
    fixPlan: [false, /^INCONCLUSIVE so far/],
  },
  {
    rule: "baseline: runs while a fix is undecided",
    baseline: times(2, hit),
    fix: times(2, clean),
    base: [false, /1 fix\(es\) undecided/],
    fixPlan: [false, /^INCONCLUSIVE so far: baseline 2\/2, fix 0\/2: p = 0.167 > 0.0833/],
  },
  {
    rule: "baseline: stops once every fix is decided",
    baseline: times(2, hit),
    fix: [hit],
    base: [true, /every fix is decided/],
  },
  {
    rule: "baseline: a fix decided earlier does not keep it running",
    baseline: times(2, hit),
    fix: times(2, clean),
    decided: ["fix"],
    base: [true, /every fix is decided/],
    fixPlan: [true, /decided in an earlier round/],
  },
  {
    rule: "baseline: max runs",
    baseline: [hit, ...times(9, clean)],
    fix: times(10, clean),
    base: [true, /^max runs 10 reached; baseline 1\/10/],
  },
  {
    rule: "fix: NOT FIXED at its first run with a baseline bug",
    baseline: [hit, hit],
    fix: [clean, hit],
    fixPlan: [true, /^NOT FIXED: a baseline bug in 1 of 2 fix run\(s\): A/],
  },
  {
    rule: "fix: a bug the baseline has not shown yet does not stop it",
    baseline: [clean],
    fix: [hit],
    fixPlan: [false, /^NOT REPRODUCED so far/],
  },
  {
    rule: "fix: FIXED at 3/3 against 0/3",
    baseline: times(3, hit),
    fix: times(3, clean),
    fixPlan: [true, /^FIXED: baseline 3\/3 against fix 0\/3: p = 0.0500 <= 0.0833/],
  },
  {
    rule: "fix: futility, FIXED out of reach even if every run left is clean",
    baseline: [hit, ...times(7, clean)],
    fix: times(8, clean),
    fixPlan: [true, /^INCONCLUSIVE: FIXED is out of reach within 10 runs/],
  },
  {
    rule: "fix: a baseline that shows nothing ends the fix NOT REPRODUCED once FIXED is out of reach",
    baseline: times(8, clean),
    fix: times(8, clean),
    fixPlan: [true, /^NOT REPRODUCED: FIXED is out of reach/],
  },
  {
    rule: "fix: max runs",
    baseline: [...times(2, hit), ...times(8, clean)],
    fix: times(10, clean),
    fixPlan: [true, /^INCONCLUSIVE: max runs 10 reached/],
  },
  {
    rule: "fix: infra runs do not spend the run budget",
    baseline: [hit],
    fix: [...times(9, ended("infra")), clean],
    fixPlan: [false, /INCONCLUSIVE so far/],
  },
  {
    rule: "fix: infra runs have a cap of their own",
    baseline: [hit],
    fix: times(10, ended("infra")),
    fixPlan: [true, /^INCONCLUSIVE: infra cap reached: 10 runs/],
  },
  {
    rule: "fix: one new bug is no REGRESSION yet",
    baseline: [hit, hit],
    fix: [run("n"), clean],
    fixPlan: [false, /^INCONCLUSIVE so far/],
  },
  {
    rule: "fix: REGRESSED once its new bug is significant",
    baseline: times(3, hit),
    fix: times(3, run("n")),
    fixPlan: [true, /^REGRESSED: new bug 3\/3 against 0\/3: p = 0.0500/],
  },
  {
    rule: "fix: boot failures are BROKEN only if every try fails, so it goes on",
    baseline: [hit],
    fix: times(3, ended("boot-failure")),
    fixPlan: [false, /^BROKEN so far/],
  },
];

describe("sequential stopping rules (95%, max runs 10)", () => {
  it.each(CASES)("$rule", (c) => {
    const runs = { before: c.baseline, ...(c.fix && { fix: c.fix }) };
    const plan = planGroup({
      baseline: "before",
      runs,
      decided: c.decided ?? [],
      signatures,
      confidence: 0.95,
      maxRuns: 10,
      residual: 1,
    });
    for (const [variant, want] of [
      ["before", c.base],
      ["fix", c.fixPlan],
    ] as const) {
      if (!want) continue;
      expect(plan[variant]!.why).toMatch(want[1]);
      expect(plan[variant]!.done).toBe(want[0]);
    }
  });
});
