import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../../harness/core/errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../../harness/core/files.js";
import { readRecord } from "../../harness/records/read.js";
import { RunFileSchema } from "../../harness/records/run.js";
import { readRunDir } from "../../harness/report/model.js";
import { statsTable, verdictLines } from "../../harness/report/summary.js";
import { judgeGroups } from "../../harness/verdict/groups.js";
import { sampleRun } from "../support/sampleMatrix.js";

const root = fs.mkdtemp(path.join(os.tmpdir(), "kharness-results-"));
afterAll(async () => fs.rm(await root, { recursive: true, force: true }));

describe("results", () => {
  it("writes records atomically: no temp file is left, and the record reads back through its schema", async () => {
    const file = path.join(await root, "deep", "matrix.json");
    await writeJsonAtomic(file, sampleRun());
    await writeJsonAtomic(file, { ...sampleRun(), status: "interrupted" });
    expect(await fs.readdir(path.dirname(file))).toEqual(["matrix.json"]);
    expect((await readRecord(RunFileSchema, file, "run record")).status).toBe("interrupted");
    expect((await readRunDir(path.dirname(file))).cells).toHaveLength(24);
  });

  it("replaces a record whole: a reader that opened the old one reads it to the end, untouched", async () => {
    const file = path.join(await root, "replace", "run.json");
    await writeJsonAtomic(file, { version: 1 });
    // A hard link stands for a reader holding the old file open: written in place, it would see the new bytes.
    const reader = path.join(path.dirname(file), "reader.json");
    await fs.link(file, reader);
    await writeFileAtomic(file, '{ "version": 2 }\n', 0o600);
    expect(JSON.parse(await fs.readFile(reader, "utf8"))).toEqual({ version: 1 });
    expect(JSON.parse(await fs.readFile(file, "utf8"))).toEqual({ version: 2 });
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it("an older, damaged or cut-short record is an input error naming the file and the field", async () => {
    const dir = path.join(await root, "old");
    const file = path.join(dir, "run.json");
    await writeJsonAtomic(file, { schema: "kharness.run/1", id: "x" });
    const older = readRunDir(dir);
    await expect(older).rejects.toThrow(UserError);
    // One line: the version, not a list of every field that changed since.
    await expect(older).rejects.toThrow(
      /^\S*old\/run\.json is a run record of another kharness version \(schema "kharness\.run\/1"\): [^\n]*kharness\.run\/3[^\n]*$/,
    );
    await fs.writeFile(file, '{"schema": "kharness.run/3", "cel');
    await expect(readRunDir(dir)).rejects.toThrow(/run\.json is not valid JSON/);
    await expect(readRunDir(path.join(await root, "none"))).rejects.toThrow(/holds no run/);
  });

  it(
    "the terminal summary: bugs in a few lines, " + "then each verdict with the remaining call path and how sure it is",
    () => {
      const run = sampleRun();
      const group = judgeGroups(run)[0]!;
      const [reorder, dropLock] = group.verdicts;
      expect(verdictLines(reorder!, run.signatures)).toEqual([
        "fix-reorder: NOT FIXED - still shows atomic-sleep:mem_cgroup_wb_stats: " +
          "BUG: scheduling while atomic in mem_cgroup_wb_stats (via wb_over_bg_thresh) (1/1 runs)",
        "    still there in 1 run(s): atomic-sleep:mem_cgroup_wb_stats: " +
          "BUG: scheduling while atomic in mem_cgroup_wb_stats (via wb_over_bg_thresh)",
        "    fix 1/1 booted runs with a baseline bug: rate <= 1.00 at 95%",
      ]);
      expect(verdictLines(dropLock!, run.signatures).slice(-2)).toEqual([
        "    baseline 4/4 booted runs reproduced: rate >= 0.47 at 95%; " +
          "fix 0/4 booted runs with a baseline bug: rate <= 0.53 at 95%",
        "    FIXED test p = 0.014 <= calibrated level 0.083",
      ]);
      const table = statsTable(group).split("\n");
      expect(table[1]).toMatch(/^before\s+5\s+5\s+5\s+0\s+0\s+0\s+0$/);
      expect(table.slice(table.indexOf("") + 1)).toEqual([
        "bugs (runs that showed each, and as the run's first report):",
        "  WARNING: suspicious RCU usage in mem_cgroup_wb_stats  [rcu:mem_cgroup_wb_stats]",
        "      culprit mem_cgroup_wb_stats; call path mem_cgroup_wb_stats <- balance_dirty_pages",
        "      before 5/5 (first 5), fix-reorder 0/1, fix-drop-lock 0/4; cascade 1 bug(s)",
        "  BUG: scheduling while atomic in mem_cgroup_wb_stats  [atomic-sleep:mem_cgroup_wb_stats]",
        "      culprit mem_cgroup_wb_stats; call path mem_cgroup_wb_stats <- wb_over_bg_thresh",
        "      before 5/5, fix-reorder 1/1 (first 1), fix-drop-lock 0/4; cascade 0 bug(s)",
      ]);
    },
  );
});
