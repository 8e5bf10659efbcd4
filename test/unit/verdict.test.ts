import { describe, expect, it } from "vitest";
import { judgeFix, variantStats, verdictsExitCode, HANG_SIGNATURE, type RunRecord } from "../../harness/verdict/verdict.js";

const run = (...signatures: string[]): RunRecord => ({ status: "completed", signatures });
const judge = (base: RunRecord[], fix: RunRecord[]) => judgeFix(variantStats("before", base), base, variantStats("fix", fix), fix);

describe("verdicts", () => {
  it("FIXED when the baseline reproduces and the fix is clean, with the silent chance", () => {
    const v = judge([run("rcu", "sleep"), run("sleep"), run()], [run(), run(), run()]);
    expect(v.verdict).toBe("FIXED");
    expect(v.baselineRate).toBeCloseTo(2 / 3);
    expect(v.cleanRuns).toBe(3);
    expect(v.silentChance).toBeCloseTo((1 / 3) ** 3);
  });

  it("the reproduction rate counts booted runs only, so it never exceeds 1", () => {
    const base: RunRecord[] = [run("a"), run("a"), { status: "error", signatures: ["a"] }, { status: "hang", signatures: ["a", "hang"] }];
    const v = judge(base, [run()]);
    expect(v.baselineRate).toBe(1);
    expect(v.silentChance).toBe(0);
    expect(judge([run("a"), run(), { status: "error", signatures: ["a"] }], [run()]).baselineRate).toBe(0.5);
  });

  it("NOT FIXED names the baseline signatures that remain", () => {
    const v = judge([run("rcu", "sleep-worker"), run("rcu", "sleep-worker")], [run("sleep-worker"), run()]);
    expect(v.verdict).toBe("NOT FIXED");
    expect(v.remaining).toEqual([{ signature: "sleep-worker", runs: 1 }]);
    expect(v.cleanRuns).toBe(1);
  });

  it("NOT REPRODUCED when the baseline and the fix are both clean", () => {
    expect(judge([run(), run()], [run(), run()]).verdict).toBe("NOT REPRODUCED");
    expect(judge([{ status: "boot-failure", signatures: [] }], [run()]).reason).toMatch(/never booted/);
  });

  it("REGRESSED when the fix adds a signature the baseline never showed", () => {
    const v = judge([run("a")], [run("b")]);
    expect(v.verdict).toBe("REGRESSED");
    expect(v.added).toEqual([{ signature: "b", runs: 1 }]);
  });

  it("REGRESSED when the baseline is clean and the fix is not: new splats are evidence on their own", () => {
    const v = judge([run(), run()], [run("x")]);
    expect(v.verdict).toBe("REGRESSED");
    expect(v.reason).toMatch(/baseline was clean/);
  });

  it("a hang is evidence like a splat", () => {
    expect(judge([run("a")], [{ status: "hang", signatures: [HANG_SIGNATURE] }]).verdict).toBe("REGRESSED");
  });

  it("BROKEN when the fix fails to boot or its workload errors", () => {
    expect(judge([run("a")], [run(), { status: "boot-failure", signatures: [] }]).verdict).toBe("BROKEN");
    expect(judge([run("a")], [{ status: "error", signatures: [] }]).verdict).toBe("BROKEN");
  });

  it("counts runs per signature once, however many reports a run had", () => {
    const s = variantStats("v", [run("a", "a", "b"), run("a"), { status: "hang", signatures: [] }, { status: "boot-failure", signatures: [] }]);
    expect(s).toMatchObject({ runs: 4, booted: 3, hangs: 1, bootFailures: 1, splatRuns: 2 });
    expect(s.signatures).toEqual([
      { signature: "a", runs: 2 },
      { signature: "b", runs: 1 },
    ]);
  });

  it("exit code is 0 only when every verdict is the expected one", () => {
    const fixed = judge([run("a")], [run()]);
    const notFixed = { ...judge([run("a")], [run("a")]), fix: "reorder" };
    expect(verdictsExitCode([fixed, notFixed], { reorder: "NOT FIXED" })).toBe(0);
    expect(verdictsExitCode([fixed, notFixed], {})).toBe(1);
  });
});
