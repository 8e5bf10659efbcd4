import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../../harness/core/errors.js";
import { writeJsonAtomic } from "../../harness/core/files.js";
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

  it("an older, damaged or cut-short record is an input error naming the file and the field", async () => {
    const dir = path.join(await root, "old");
    const file = path.join(dir, "run.json");
    await writeJsonAtomic(file, { schema: "kharness.run/1", id: "x" });
    const older = readRunDir(dir);
    await expect(older).rejects.toThrow(UserError);
    await expect(older).rejects.toThrow(/old\/run\.json is not a run record[\s\S]*schema: /);
    await fs.writeFile(file, '{"schema": "kharness.run/2", "cel');
    await expect(readRunDir(dir)).rejects.toThrow(/run\.json is not valid JSON/);
    await expect(readRunDir(path.join(await root, "none"))).rejects.toThrow(/holds no run/);
  });

  it("the terminal summary names the verdict, the remaining call path and per-variant counts", () => {
    const run = sampleRun();
    const group = judgeGroups(run)[0]!;
    const reorder = group.verdicts.find((v) => v.fix === "fix-reorder")!;
    const lines = verdictLines(reorder, run.signatures);
    expect(lines[0]).toBe("fix-reorder: NOT FIXED - 1 baseline signature(s) remain");
    expect(lines[1]).toBe("    still there in 1 run(s): BUG: scheduling while atomic in mem_cgroup_wb_stats (via wb_over_bg_thresh)");
    expect(statsTable(group, run.signatures)).toMatch(/before\s+1\s+1\s+0\s+0\s+0/);
    expect(statsTable(group, run.signatures)).toContain("before 1/1, fix-reorder 1/1, fix-drop-lock 0/1");
  });
});
