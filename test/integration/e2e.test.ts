import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPORT_FILES } from "../../harness/report/write.js";
import { silentProgress } from "../../harness/core/progress.js";
import { runCommand } from "../../harness/commands/run.js";
import { judgeGroups } from "../../harness/verdict/groups.js";

// The main job, for real: three variants built from Debian's 6.1 source, three fresh
// boots each under CPU hotplug and memcg writeback, judged against the baseline.
describe("memcg-hotplug-lockdep end to end", () => {
  it(
    "before reproduces; the reorder fix is NOT FIXED on the writeback worker path; dropping the lock is FIXED",
    { timeout: 80 * 60_000 },
    async () => {
      const { run, dir, exitCode } = await runCommand({ scenario: "memcg-hotplug-lockdep" }, silentProgress);
      const [group] = judgeGroups(run);
      const stats = Object.fromEntries(group!.stats.map((s) => [s.variant, s]));
      // Runs per variant follow the sequential stopping rules: the reorder fix is decided by its first run.
      expect(stats.before!.bugRuns).toBeGreaterThan(0);
      expect(stats["fix-reorder"]!.runs).toBe(1);
      for (const s of group!.stats) expect(s.bootFailures + s.infra).toBe(0);

      const verdicts = Object.fromEntries(group!.verdicts.map((v) => [v.fix, v]));
      expect(verdicts["fix-reorder"]!.verdict).toBe("NOT FIXED");
      const remainingPaths = verdicts["fix-reorder"]!.remaining.flatMap((r) =>
        r.signatures.map((s) => run.signatures[s]!.callPath),
      );
      expect(remainingPaths.some((p) => p.includes("wb_over_bg_thresh"))).toBe(true);
      // The RCU read-side path through balance_dirty_pages is what the reorder does fix.
      expect(remainingPaths.some((p) => p.includes("balance_dirty_pages"))).toBe(false);
      // FIXED when Fisher's test of the baseline against the clean runs passes its calibrated level
      // (3/3 against 0/3 at 95%).
      expect(verdicts["fix-drop-lock"]!.verdict).toBe("FIXED");
      expect(verdicts["fix-drop-lock"]!.test!.pValue).toBeLessThanOrEqual(verdicts["fix-drop-lock"]!.test!.level);
      expect(exitCode).toBe(0);
      // Every report format is written at the end of the run, and the JUnit report agrees.
      for (const f of Object.values(REPORT_FILES)) expect((await fs.stat(path.join(dir, f))).size).toBeGreaterThan(0);
      expect(await fs.readFile(path.join(dir, "junit.xml"), "utf8")).toMatch(/tests="3" failures="0" errors="0"/);
    },
  );
});
