import { describe, expect, it } from "vitest";
import { nextRound, planRound } from "../../harness/pipeline/cells.js";
import { watchVerdict } from "../../harness/pipeline/monitor.js";
import { judgeFixInGroup, type JudgedRun } from "../../harness/verdict/verdict.js";
import { isCompleteTrial, trialWindow } from "../../harness/verdict/window.js";
import { baselineAndFixRun, run, signatureMap } from "../support/runs.js";

const timedHit = (ms: number): JudgedRun => ({ ...run("a"), firstReportMs: ms });
const cleanCut = (windowMs?: number): JudgedRun => ({ ...run(), ...(windowMs !== undefined && { windowMs }) });
const ctx = { signatures: signatureMap({ a: "bug:a" }), confidence: 0.95, maxRuns: 12, residual: 1 };

describe("trial windows", () => {
  it("twice the baseline's latest first report, with a floor; none before a timed report", () => {
    expect(trialWindow([])).toBeUndefined();
    expect(trialWindow([run(), run("a")])).toBeUndefined();
    expect(trialWindow([timedHit(1200), timedHit(6100), run()])).toBe(12_200);
    expect(trialWindow([timedHit(300)])).toBe(10_000);
  });

  it("a clean run cut at a shorter window than today's is no complete trial; a hit always counts", () => {
    expect(isCompleteTrial(cleanCut(), 8000)).toBe(true);
    expect(isCompleteTrial(cleanCut(8200), 8200)).toBe(true);
    expect(isCompleteTrial(cleanCut(6000), 8200)).toBe(false);
    expect(isCompleteTrial({ ...run("a"), windowMs: 6000 }, 8200)).toBe(true);
  });

  it("the watch ends a clean fix run when its window passes, not before, and never once a report is seen", () => {
    const cfg = { tailMs: 3000, wedgeMs: 30_000, windowMs: 8000 };
    expect(watchVerdict({ startedAt: 0, now: 7_999, lastOutputAt: 7_000 }, cfg).kind).toBe("continue");
    expect(watchVerdict({ startedAt: 0, now: 8_000, lastOutputAt: 7_000 }, cfg).kind).toBe("window");
    expect(watchVerdict({ startedAt: 0, now: 9_000, lastOutputAt: 8_500, reportSeenAt: 7_500 }, cfg).kind).toBe(
      "continue",
    );
    expect(
      watchVerdict({ startedAt: 0, now: 60_000, lastOutputAt: 59_000 }, { tailMs: 3000, wedgeMs: 30_000 }).kind,
    ).toBe("continue");
  });

  it("a window that grew leaves the shorter fix runs out of the verdict, and says so", () => {
    // Round 1 ran whole (no window yet); rounds 2-3 ran at 10 s; a late baseline report (7 s) makes it 14 s.
    const base = [timedHit(2000), timedHit(2500), timedHit(7000)];
    const v = judgeFixInGroup("before", base, "fix", [cleanCut(), cleanCut(10_000), cleanCut(10_000)], ctx);
    expect(v).toMatchObject({ windowMs: 14_000, leftOut: 2, fixBooted: 1, verdict: "INCONCLUSIVE" });
    const w = judgeFixInGroup("before", base, "fix", [cleanCut(), cleanCut(14_000), cleanCut(15_000)], ctx);
    expect(w).toMatchObject({ fixBooted: 3, verdict: "FIXED" });
    expect(w.leftOut).toBeUndefined();
  });

  it("a fix run's window is the one its baseline had when it started, the round's own baseline run first", () => {
    // The fix is listed before the baseline: the round still starts with the baseline.
    const rec = baselineAndFixRun(["fix", "before"], { confidence: 0.95, maxRuns: 12, residual: 1 }, "w");
    rec.signatures = ctx.signatures;
    const [first, second] = nextRound(rec);
    expect([first!.cell.variant, second!.cell.variant]).toEqual(["before", "fix"]);
    expect(first!.windowAtStart).toBeUndefined();
    // Before the baseline's run ends there is no window: a fix run started then runs whole.
    expect(second!.windowAtStart!()).toBeUndefined();
    const base = rec.cells.find((c) => c.variant === "before")!;
    base.runs.push({
      iteration: 1,
      status: "completed",
      bootMs: 0,
      workloadMs: 0,
      collectMs: 0,
      console: "",
      vmCommand: "",
      splats: [{ signature: "a", count: 1 }],
      primary: "a",
      firstReportMs: 6500,
    });
    expect(second!.windowAtStart!()).toBe(13_000);
  });

  it(
    "a round is planned from the record without changing it, then kept: " +
      "a failed baseline closes its group's cells",
    () => {
      const rec = baselineAndFixRun(["before", "fix"], { confidence: 0.95, maxRuns: 12, residual: 1 }, "p");
      rec.cells[0]!.status = "failed";
      const before = structuredClone(rec);
      const plan = planRound(rec);
      expect(rec).toEqual(before);
      expect(plan.tasks).toEqual([]);
      expect(plan.close.map((c) => [c.cell.variant, c.why])).toEqual([["fix", "the baseline's kernel did not build"]]);
      expect(nextRound(rec)).toEqual([]);
      expect(rec.cells[1]).toMatchObject({ status: "done", stopped: "the baseline's kernel did not build" });
    },
  );
});
