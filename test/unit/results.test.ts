import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeJsonAtomic } from "../../harness/core/files.js";
import type { RunRecordFile } from "../../harness/report/runRecord.js";
import { statsTable, summaryMarkdown, verdictLine } from "../../harness/report/summary.js";
import { judgeFix, variantStats, type RunRecord } from "../../harness/verdict/verdict.js";

function sampleRun(): RunRecordFile {
  const base: RunRecord[] = [{ status: "completed", signatures: ["s1", "s2"] }, { status: "completed", signatures: ["s2"] }];
  const fix: RunRecord[] = [{ status: "completed", signatures: ["s2"] }, { status: "completed", signatures: [] }];
  const stats = [variantStats("before", base), variantStats("fix-reorder", fix)];
  return {
    schema: "kharness.run/1",
    id: "memcg-20261125-120000",
    status: "completed",
    startedAt: "2026-11-25T12:00:00Z",
    scenario: { name: "memcg", file: "scenarios/memcg/scenario.yaml", sha256: "x", baseline: "before", iterations: 2, expect: { "fix-reorder": "NOT FIXED" }, kernel: "linux-6.1", cpus: 4, hotplug: true },
    host: { hostname: "h", cpus: 2, memoryMiB: 24000, node: "v20" },
    kernels: {},
    iterations: [],
    signatures: {
      s1: { signature: "s1", kind: "rcu", title: "WARNING: suspicious RCU usage in mem_cgroup_wb_stats", callPath: ["mem_cgroup_wb_stats", "balance_dirty_pages"], frames: [], corrupted: false, excerpt: [] },
      s2: { signature: "s2", kind: "atomic-sleep", title: "BUG: sleeping function called from invalid context in mem_cgroup_wb_stats", callPath: ["mem_cgroup_wb_stats", "wb_over_bg_thresh", "wb_writeback"], frames: [], corrupted: false, excerpt: [] },
    },
    stats,
    verdicts: [judgeFix(stats[0]!, base, stats[1]!, fix)],
    timings: { build: 765000, boot: 22000 },
  };
}

describe("results", () => {
  it("writes run.json atomically: no temp file is left and the content parses", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-results-"));
    const file = path.join(dir, "deep", "run.json");
    await writeJsonAtomic(file, sampleRun());
    await writeJsonAtomic(file, { ...sampleRun(), status: "interrupted" });
    expect(await fs.readdir(path.dirname(file))).toEqual(["run.json"]);
    expect(JSON.parse(await fs.readFile(file, "utf8")).status).toBe("interrupted");
    await fs.rm(dir, { recursive: true });
  });

  it("summary names the verdict, the remaining call path and per-variant counts", () => {
    const run = sampleRun();
    const md = summaryMarkdown(run);
    expect(md).toContain("| fix-reorder | **NOT FIXED** | NOT FIXED | 100% | 1 |  |");
    expect(md).toContain("| s2 | BUG: sleeping function called from invalid context in mem_cgroup_wb_stats | mem_cgroup_wb_stats <- wb_over_bg_thresh <- wb_writeback | 2/2 | 1/2 |");
    expect(md).toContain("- build: 765.0");
    const lines = verdictLine(run.verdicts[0]!, run.signatures);
    expect(lines[1]).toBe("    still there in 1 run(s): BUG: sleeping function called from invalid context in mem_cgroup_wb_stats (via wb_over_bg_thresh <- wb_writeback)");
    expect(statsTable(run)).toMatch(/before\s+2\s+2\s+0\s+0/);
  });
});
