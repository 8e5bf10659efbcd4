import { promises as fs } from "node:fs";
import { describe, expect, it } from "vitest";
import { splatsOfRun } from "../../harness/parse/runSplats.js";
import { runEvidence, signatureRecord } from "../../harness/verdict/signatures.js";
import type { SignatureRecord } from "../../harness/records/run.js";
import { bugsOfRun, summarizeBugs, type JudgedRun } from "../../harness/verdict/bugs.js";
import { baselineEvidence, judgeFix } from "../../harness/verdict/verdict.js";
import { fixture } from "../fakes/fakeVm.js";
import { ended, run, signatureMap } from "../support/runs.js";

describe("a run's bugs", () => {
  const sigs = signatureMap({ a1: "A", a2: "A", b: "B", c: "C" });

  it("the first report's bug is the primary; every other bug is its cascade, once", () => {
    expect(bugsOfRun(run("b", "a1", "c", "a2"), sigs)).toMatchObject({ primary: "B", cascade: ["A", "C"] });
    expect(bugsOfRun(run("b", "a1", "a2"), sigs).signaturesOf.get("A")).toEqual(["a1", "a2"]);
    expect(bugsOfRun(run(), sigs)).toMatchObject({ cascade: [] });
    expect(bugsOfRun(run(), sigs).primary).toBeUndefined();
  });

  it("a hang without a report is the bug 'hang'; a hang after reports adds it to their cascade", () => {
    expect(bugsOfRun(ended("hang"), sigs)).toMatchObject({ primary: "hang", cascade: [] });
    expect(bugsOfRun(ended("hang", "b"), sigs)).toMatchObject({ primary: "B", cascade: ["hang"] });
  });

  it(
    "a run's evidence from a real console: its first report is the primary; " +
      "a failed command after reports is a crash",
    async () => {
      const groups = splatsOfRun(await fs.readFile(fixture("linux-6.1-memcg/before-console.log"), "utf8"));
      expect(groups.length).toBeGreaterThan(1);
      const evidence = runEvidence("completed", groups);
      expect(evidence).toMatchObject({ status: "completed", primary: groups[0]!.signature });
      expect(evidence.splats.map((s) => s.signature)).toEqual(groups.map((g) => g.signature));
      expect(runEvidence("error", groups).status).toBe("crash");
      expect(runEvidence("error", [])).toEqual({ status: "error", splats: [] });
      expect(runEvidence("hang", groups).status).toBe("hang");
    },
  );

  it("an older record without `primary` takes its first splat", () => {
    expect(
      bugsOfRun(
        {
          status: "completed",
          splats: [
            { signature: "c", count: 2 },
            { signature: "b", count: 1 },
          ],
        },
        sigs,
      ).primary,
    ).toBe("C");
  });

  it("the summary groups signatures by bug, with runs per variant as primary and at all, and the cascade size", () => {
    const [a, b, c] = summarizeBugs(
      [
        { variant: "before", runs: [run("a1", "b", "c"), run("a2"), ended("infra", "a1")] },
        { variant: "fix", runs: [run("b"), run()] },
      ],
      sigs,
    );
    expect(a).toMatchObject({
      bug: "A",
      signatures: ["a1", "a2"],
      cascadeSize: 2,
      callPaths: [
        ["A", "path-of-a1"],
        ["A", "path-of-a2"],
      ],
    });
    expect(a!.variants).toEqual([
      { variant: "before", primary: 2, any: 2, runs: 2 },
      { variant: "fix", primary: 0, any: 0, runs: 2 },
    ]);
    expect(b).toMatchObject({ bug: "B", title: "title of b", cascadeSize: 0 });
    expect(b!.variants.map((v) => v.primary)).toEqual([0, 1]);
    expect(c).toMatchObject({ bug: "C", cascadeSize: 0 });
  });
});

/** A completed run recorded from a real console, the way the pipeline records one. */
async function recordedRun(
  file: string,
  signatures: Record<string, SignatureRecord>,
  status: JudgedRun["status"] = "completed",
): Promise<JudgedRun> {
  const groups = splatsOfRun(await fs.readFile(fixture(`linux-6.1-memcg/${file}`), "utf8"));
  for (const g of groups) signatures[g.signature] ??= signatureRecord(g);
  return {
    status,
    splats: groups.map((g) => ({ signature: g.signature, count: g.count })),
    ...(groups[0] && { primary: groups[0].signature }),
  };
}

describe("bug grouping on the committed real consoles (linux 6.1, memcg)", async () => {
  const signatures: Record<string, SignatureRecord> = {};
  const before = await recordedRun("before-console.log", signatures);
  const hung = await recordedRun("before-hang-console.log", signatures, "hang");
  const reorder = await recordedRun("fix-reorder-console.log", signatures);
  const dropLock = await recordedRun("fix-drop-lock-console.log", signatures);
  const ctx = { signatures, confidence: 0.95, maxRuns: 12, residual: 1 };
  const judge = (base: JudgedRun[], fix: JudgedRun[]) =>
    judgeFix(baselineEvidence("before", base, ctx), "fix", fix, ctx);

  it("the baseline's many signatures are one primary bug in mem_cgroup_wb_stats and its cascade", () => {
    const bugs = bugsOfRun(before, signatures);
    expect(before.splats.length).toBeGreaterThan(10);
    expect(bugs.primary).toMatch(/mem_cgroup_wb_stats/);
    expect(bugs.cascade.length).toBeGreaterThan(5);
    expect(bugs.cascade).not.toContain(bugs.primary);
  });

  it("the reorder fix is NOT FIXED, named by the writeback worker's path through wb_over_bg_thresh", () => {
    for (const base of [[before], [before, before, before], [hung]]) {
      const v = judge(base, [reorder]);
      expect(v.verdict).toBe("NOT FIXED");
      const paths = v.remaining.flatMap((r) => r.signatures.map((s) => signatures[s]!.callPath));
      expect(paths.some((p) => p.some((f) => /wb_over_bg_thresh/.test(f)))).toBe(true);
      expect(v.reason).toMatch(/wb_over_bg_thresh/);
    }
  });

  it("the drop-lock fix is clean: INCONCLUSIVE in 2 runs against 2/2 at 95%, FIXED in 3 against 3/3", () => {
    expect(bugsOfRun(dropLock, signatures).primary).toBeUndefined();
    const two = judge([before, before], [dropLock, dropLock]);
    expect(two).toMatchObject({ verdict: "INCONCLUSIVE", cleanRuns: 2, moreNeeded: 2 });
    const three = judge([before, before, before], [dropLock, dropLock, dropLock]);
    expect(three).toMatchObject({ verdict: "FIXED", cleanRuns: 3 });
    expect(three.test!.pValue).toBeCloseTo(1 / 20, 12);
  });
});
