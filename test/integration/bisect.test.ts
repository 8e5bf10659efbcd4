import { describe, expect, it } from "vitest";
import { bisectCommand } from "../../harness/commands/bisect.js";
import { silentProgress } from "../../harness/core/progress.js";
import { memcgHistory } from "../../bench/support/memcgHistory.js";

// A real bisection on a real kernel history (Debian's 6.1 source as a git tree), over its
// first commits (base, two harmless commits, the memcg bug), short enough for CI. The whole
// history with both fixes is bisected nightly: npm run nightly:bisect.
describe("kharness bisect on a real 6.1 history", () => {
  it(
    "names the commit that brought the memcg splat, in at most ceil(log2(N))+1 builds",
    { timeout: 80 * 60_000 },
    async () => {
      const h = await memcgHistory("full");
      const bugAt = h.steps.indexOf("bug");
      const { record, exitCode } = await bisectCommand(
        {
          options: {
            scenario: "memcg-hotplug-lockdep",
            tree: h.dir,
            good: h.commits[0]!,
            bad: h.commits[bugAt]!,
            direction: "cause",
            confidence: 0.95,
            maxRuns: 6,
          },
        },
        silentProgress,
      );
      expect(exitCode).toBe(0);
      const result = record.state.result!;
      expect(result.kind).toBe("culprit");
      expect(result.kind === "culprit" && result.commit.hash).toBe(h.commits[bugAt]);
      expect(result.kind === "culprit" && result.commit.subject).toMatch(/the bug/);
      const builds = record.state.steps.filter((s) => s.build.cached === false).length;
      expect(builds).toBeLessThanOrEqual(Math.ceil(Math.log2(record.rangeCommits)) + 1);
      expect(record.state.bisectLog).toMatch(/# first bad commit/);
    },
  );
});
