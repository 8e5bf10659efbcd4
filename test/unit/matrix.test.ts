import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../harness/core/paths.js";
import { cellId, expandCells, parseShard, shardCells } from "../../harness/matrix/expand.js";
import { chooseJobs } from "../../harness/matrix/jobs.js";
import { MERGE_EXIT, mergeDirs, mergeExitCode, mergeRuns } from "../../harness/matrix/merge.js";
import { resumeCells, shardRecord } from "../../harness/pipeline/matrixPlan.js";
import { mergeCommand } from "../../harness/commands/report.js";
import type { RunFile } from "../../harness/records/run.js";
import { cellScenario } from "../../harness/pipeline/runRecord.js";
import { judgeGroups, exitCodeOf as matrixExitCode } from "../../harness/verdict/groups.js";
import { MatrixSchema } from "../../harness/matrix/schema.js";
import { loadMatrix } from "../../harness/matrix/load.js";
import { expectFor, forTarget, scenarioKernels } from "../../harness/scenario/load.js";
import { ScenarioSchema } from "../../harness/scenario/schema.js";
import { memcgAxes as axes, sampleRun } from "../support/sampleMatrix.js";

/** A minimal valid scenario, with the fields a test cares about. */
const scenario = (fields: Record<string, unknown>) =>
  ScenarioSchema.parse({
    name: "m",
    description: "d",
    kernel: "linux-6.1",
    requireConfig: [],
    baseline: "b",
    variants: { b: { patches: [] } },
    workload: { timeoutSec: 10, steps: [{ step: "script", script: "true" }] },
    ...fields,
  });

/** The records `kharness matrix --shard I/N` would write for each shard of a finished run. */
function shardsOf(whole: RunFile, count: number): RunFile[] {
  return Array.from({ length: count }, (_, i) => {
    const shard = shardRecord(whole.cells, { index: i + 1, count });
    const mine = new Set(shard.cells[i]);
    return { ...whole, id: `nightly-shard${i + 1}of${count}`, shard, cells: whole.cells.filter((c) => mine.has(c.id)) };
  });
}

describe("matrix expansion", () => {
  it(
    "scenario x kernel x arch x vCPUs x hotplug x variant, " + "one kernel's cells together, baseline first in a group",
    () => {
      const cells = expandCells(axes);
      expect(cells).toHaveLength(24);
      expect(cells.slice(0, 12).every((c) => c.kernel === "linux-6.1")).toBe(true);
      expect(cellId(cells[0]!)).toBe("memcg/linux-6.1/x86_64/cpus2/hotplug-on/before");
      const two = expandCells({ ...axes, arches: ["x86_64", "arm64"] });
      expect(two).toHaveLength(48);
      // One kernel's cells for one arch stay together: a shard builds few kernels.
      expect(two.slice(0, 12).every((c) => c.kernel === "linux-6.1" && c.arch === "x86_64")).toBe(true);
      expect(two.slice(12, 24).every((c) => c.kernel === "linux-6.1" && c.arch === "arm64")).toBe(true);
      expect(new Set(two.map(cellId)).size).toBe(48);
      expect(new Set(cells.map(cellId)).size).toBe(24);
      expect(expandCells({ ...axes, variants: ["fix-drop-lock"] }).filter((c) => c.variant === "fix-reorder")).toEqual(
        [],
      );
      expect(expandCells({ ...axes, variants: ["fix-drop-lock"] }).filter((c) => c.variant === "before")).toHaveLength(
        8,
      );
    },
  );

  it(
    "exclude leaves out the cells that have every field of a pattern; " +
      "the nightly file has arm64 cells on 6.1 only",
    async () => {
      const two = { ...axes, arches: ["x86_64", "arm64"] as ("x86_64" | "arm64")[] };
      const cells = expandCells({
        ...two,
        exclude: [
          { kernel: "linux-6.12", arch: "arm64" },
          { arch: "arm64", cpus: 4, hotplug: false },
        ],
      });
      expect(cells).toHaveLength(48 - 12 - 3);
      expect(
        cells.filter((c) => c.arch === "arm64").every((c) => c.kernel === "linux-6.1" && !(c.cpus === 4 && !c.hotplug)),
      ).toBe(true);
      const nightly = await loadMatrix("nightly");
      expect([...nightly.loaded.keys()]).toEqual([
        "memcg-hotplug-lockdep/linux-6.1/x86_64",
        "memcg-hotplug-lockdep/linux-6.1/arm64",
        "memcg-hotplug-lockdep/linux-6.12/x86_64",
      ]);
    },
  );

  it(
    "an exclude pattern with a kernel or vCPU count off the axes, " + "or one that leaves no cell, is an input error",
    async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-exclude-"));
      const nightly = await fs.readFile(path.join(projectRoot, "scenarios/nightly.yaml"), "utf8");
      const variant = async (exclude: string) => {
        const file = path.join(dir, `m${Math.random().toString(36).slice(2)}.yaml`);
        await fs.writeFile(file, nightly.replace(/exclude:\n(  - .*\n)+/, `exclude:\n${exclude}\n`));
        return loadMatrix(file);
      };
      try {
        await expect(variant("  - { kernel: linux-6.12, arch: arm64 }")).resolves.toBeDefined();
        await expect(variant("  - { kernel: linux-6.21, arch: arm64 }")).rejects.toThrow(
          /exclude\.0\.kernel: "linux-6\.21" is not one of the matrix's kernels/,
        );
        await expect(variant("  - { cpus: 8 }")).rejects.toThrow(
          /exclude\.0\.cpus: 8 is not one of the matrix's vCPU counts/,
        );
        await expect(variant("  - { hotplug: on }\n  - { hotplug: off }")).rejects.toThrow(
          /every cell of the matrix is excluded/,
        );
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  );

  it("shards are deterministic, disjoint, cover every cell, and keep groups whole", () => {
    const cells = expandCells(axes);
    for (const n of [1, 2, 3, 5, 8, 9]) {
      const shards = Array.from({ length: n }, (_, i) => shardCells(cells, { index: i + 1, count: n }));
      expect(shards.flat().map(cellId).sort()).toEqual(cells.map(cellId).sort());
      for (const s of shards)
        for (const c of s)
          expect(s.filter((x) => x.kernel === c.kernel && x.cpus === c.cpus && x.hotplug === c.hotplug)).toHaveLength(
            3,
          );
      expect(shards).toEqual(Array.from({ length: n }, (_, i) => shardCells(cells, { index: i + 1, count: n })));
    }
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    expect(() => parseShard("5/4")).toThrow(/shard I\/N/);
    expect(() => parseShard("x")).toThrow();
  });

  it("a cell's scenario: its vCPUs, and no hotplug step when hotplug is off", () => {
    const writer = { step: "memcg-writer", memoryMax: "64M", files: 1, fileMiB: 1 };
    const s = scenario({ workload: { timeoutSec: 60, steps: [writer, { step: "hotplug", rounds: 40 }] } });
    expect(cellScenario(s, { cpus: 2, hotplug: false })).toMatchObject({
      vm: { cpus: 2 },
      workload: { steps: [writer] },
    });
    expect(cellScenario(s, { cpus: 8, hotplug: true })).toMatchObject({
      vm: { cpus: 8 },
      workload: { steps: [writer, { step: "hotplug", rounds: 40 }] },
    });
  });

  it("expectations can differ per kernel and per arch: a fix may be enough on one and not on another", () => {
    const s = scenario({
      variants: { b: { patches: [] }, f: { patches: [] }, g: { patches: [] } },
      expect: {
        f: { "linux-6.1": "NOT FIXED", "linux-6.12": "FIXED", "linux-6.12/arm64": "NOT FIXED" },
        g: { arm64: "INCONCLUSIVE", "linux-6.1": "FIXED" },
      },
    });
    expect(expectFor(s, "linux-6.1", "x86_64")).toEqual({ f: "NOT FIXED", g: "FIXED" });
    expect(expectFor(s, "linux-6.12", "x86_64")).toEqual({ f: "FIXED" });
    // Most specific first: kernel/arch, then the kernel, then the arch.
    expect(expectFor(s, "linux-6.12", "arm64")).toEqual({ f: "NOT FIXED", g: "INCONCLUSIVE" });
    expect(expectFor(s, "linux-6.1", "arm64")).toEqual({ f: "NOT FIXED", g: "FIXED" });
    expect(expectFor(s, "linux-7.0", "x86_64")).toEqual({});
  });

  it(
    "patches per arch: the kernel/arch list, else the kernel's, else the arch's; " +
      "the kernels are the keys' kernel parts",
    () => {
      const p = { "linux-6.1": ["a.patch"], "linux-6.1/arm64": ["a.patch", "arm.patch"], arm64: ["b.patch"] };
      expect(forTarget(p, "linux-6.1", "arm64")).toEqual(["a.patch", "arm.patch"]);
      expect(forTarget(p, "linux-6.1", "x86_64")).toEqual(["a.patch"]);
      expect(forTarget(p, "linux-6.12", "arm64")).toEqual(["b.patch"]);
      expect(forTarget(p, "linux-6.12", "x86_64")).toBeUndefined();
      const s = scenario({ kernel: "linux-6.1", variants: { b: { patches: { ...p, "linux-6.12/arm64": [] } } } });
      expect(scenarioKernels(s)).toEqual(["linux-6.1", "linux-6.12"]);
      const bad = ScenarioSchema.safeParse({ ...s, variants: { b: { patches: { "linux-6.1/arm46": [] } } } });
      expect(bad.error?.issues.map((i) => i.message)).toEqual([
        '"linux-6.1/arm46" is not "kernel/arch" with an arch of x86_64, arm64',
      ]);
    },
  );

  it("the matrix schema names the field and the allowed values", () => {
    const r = MatrixSchema.safeParse({ name: "n", scenarios: ["s"], kernels: ["k"], cpus: [3], hotplug: ["maybe"] });
    expect(r.success).toBe(false);
    const messages = r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages).toContain("cpus.0: must be one of 1, 2, 4, 8");
    expect(messages).toContain('hotplug.0: must be "on" or "off"');
  });

  it("jobs: one guest per two cores, bounded by free memory, with the reason", () => {
    expect(chooseJobs(2, 20000, 1024).count).toBe(1);
    expect(chooseJobs(16, 20000, 1024)).toMatchObject({ count: 8 });
    expect(chooseJobs(16, 3000, 1024).count).toBe(1);
    expect(chooseJobs(2, 20000, 1024).reason).toMatch(/2 cores allow 1/);
  });
});

describe("judging and merging matrix runs", () => {
  it("each group is judged against its own baseline; the exit code follows the expectations", () => {
    const run = sampleRun();
    const groups = judgeGroups(run);
    expect(groups).toHaveLength(8);
    for (const g of groups)
      expect(Object.fromEntries(g.verdicts.map((v) => [v.fix, v.verdict]))).toEqual({
        "fix-reorder": "NOT FIXED",
        "fix-drop-lock": "FIXED",
      });
    expect(matrixExitCode(run)).toBe(0);
    expect(
      matrixExitCode({ ...run, expect: { ...run.expect, "memcg/linux-6.12/x86_64": { "fix-reorder": "FIXED" } } }),
    ).toBe(1);
  });

  it("shard + merge gives the unsharded run's set of cells", () => {
    const whole = sampleRun();
    const ids = whole.cells.map((c) => c.id);
    const shards = shardsOf(whole, 3);
    const merged = mergeRuns(shards, "merged");
    expect(merged.cells.map((c) => c.id).sort()).toEqual([...ids].sort());
    expect(judgeGroups(merged).map((g) => g.verdicts.map((v) => v.verdict))).toEqual(
      judgeGroups({ ...whole, cells: [...whole.cells].sort((a, b) => a.id.localeCompare(b.id)) }).map((g) =>
        g.verdicts.map((v) => v.verdict),
      ),
    );
    expect(merged.timings.build).toBe(3 * 600000);
    expect(() =>
      mergeRuns([shards[0]!, { ...shards[1]!, input: { ...shards[1]!.input, sha256: "other" } }], "x"),
    ).toThrow(/different matrix file/);
  });

  it("a resumed or merged cell that finished wins over one still pending", () => {
    const pending = sampleRun(() => "pending");
    const done = sampleRun();
    const merged = mergeRuns([pending, done], "m");
    expect(merged.cells.every((c) => c.status === "done")).toBe(true);
  });

  it(
    "--resume keeps finished and failed cells, " +
      "and the runs a pending cell already had (evidence the stopping rules go on from)",
    () => {
      const prior = sampleRun((id) => (id.includes("linux-6.12") ? "pending" : "done"));
      prior.cells[0]!.status = "failed";
      const partial = prior.cells.find((c) => c.kernel === "linux-6.12")!;
      partial.runs = [{ ...prior.cells[1]!.runs[0]! }];
      const fresh = sampleRun(() => "pending").cells;
      const resumed = resumeCells(fresh, prior.cells);
      expect(resumed.map((c) => c.id)).toEqual(fresh.map((c) => c.id));
      expect(resumed.filter((c) => c.status === "pending").map((c) => c.kernel)).toEqual(Array(12).fill("linux-6.12"));
      expect(resumed.find((c) => c.id === partial.id)!.runs).toEqual(partial.runs);
      expect(resumed[0]!.status).toBe("failed");
    },
  );

  it("kharness merge: shard directories into one run whose log links point into shards/<n>/", async () => {
    const whole = sampleRun();
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-merge-"));
    const dirs = [1, 2].map((i) => path.join(root, `nightly-shard${i}of2`));
    for (const [n, shard] of shardsOf(whole, 2).entries()) {
      await fs.mkdir(dirs[n]!, { recursive: true });
      await fs.writeFile(path.join(dirs[n]!, "matrix.json"), JSON.stringify(shard));
    }
    const merged = await mergeDirs(dirs, path.join(root, "merged"));
    expect(merged.cells).toHaveLength(24);
    expect(merged.cells.every((c) => c.runs.every((r) => /^shards\/[12]\/iterations\//.test(r.console)))).toBe(true);
    expect(await fs.readlink(path.join(root, "merged", "shards", "2"))).toBe(dirs[1]);
    await expect(mergeDirs([root], path.join(root, "m2"))).rejects.toThrow(
      /cannot read matrix run record .*matrix\.json/,
    );
    // A damaged shard record is an input error naming the file and the field, not a crash.
    const damaged = JSON.parse(await fs.readFile(path.join(dirs[0]!, "matrix.json"), "utf8"));
    damaged.cells[0].runs[0].status = "exploded";
    await fs.writeFile(path.join(dirs[0]!, "matrix.json"), JSON.stringify(damaged));
    await expect(mergeDirs(dirs, path.join(root, "m3"))).rejects.toThrow(
      /nightly-shard1of2\/matrix\.json is not a matrix run record[\s\S]*cells\.0\.runs\.0\.status/,
    );
    await fs.rm(root, { recursive: true, force: true });
  });
});

describe("kharness merge tells whether the nightly run is whole", () => {
  /** The 4 shards' result directories, as CI downloads them; `change` edits a shard's record, null drops it. */
  async function nightly(change: (shard: RunFile) => RunFile | null = (r) => r) {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-nightly-"));
    const dirs: string[] = [];
    for (const shard of shardsOf(sampleRun(), 4)) {
      const record = change(shard);
      if (!record) continue;
      const dir = path.join(root, record.id);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, "matrix.json"), JSON.stringify(record));
      dirs.push(dir);
    }
    const out = path.join(root, "merged");
    const exitCode = await mergeCommand(dirs, { out });
    const report = await fs.readFile(path.join(out, "report.md"), "utf8");
    await fs.rm(root, { recursive: true, force: true });
    return { exitCode, report };
  }
  const shardIndex = (r: RunFile) => r.shard!.index;

  it("every shard in and as expected: 0", async () => {
    expect((await nightly()).exitCode).toBe(0);
  });

  it("a cell whose verdict differs: 1, and the report marks it", async () => {
    // Shard 2's drop-lock kernels show the writeback worker's splat at their first run.
    const worse = (c: RunFile["cells"][number]) =>
      c.variant === "fix-drop-lock"
        ? {
            ...c,
            runs: c.runs
              .slice(0, 1)
              .map((x) => ({ ...x, splats: [{ signature: "worker", count: 1 }], primary: "worker" })),
          }
        : c;
    const { exitCode, report } = await nightly((r) => (shardIndex(r) === 2 ? { ...r, cells: r.cells.map(worse) } : r));
    expect(exitCode).toBe(1);
    expect(report).toMatch(/NOT FIXED 1\/1 ✗ \(expected FIXED\)/);
    expect(report).not.toMatch(/Incomplete/);
  });

  it("a missing shard: its own exit code, and the report names the shard and each of its cells", async () => {
    const missing = shardsOf(sampleRun(), 4)[2]!;
    const { exitCode, report } = await nightly((r) => (shardIndex(r) === 3 ? null : r));
    expect(exitCode).toBe(MERGE_EXIT.shardMissing);
    expect(report).toMatch(/shard 3\/4 missing/);
    for (const c of missing.cells) expect(report).toContain(c.id);
  });

  it("a shard that stopped on a host error: its own exit code, with the error and its unfinished cells", async () => {
    const error = "no space left on the device holding /root/.cache/kharness";
    const stopped = (r: RunFile): RunFile => ({
      ...r,
      status: "failed",
      error,
      cells: r.cells.map((c, i) => (i === 0 ? c : { ...c, status: "pending", runs: [] })),
    });
    const { exitCode, report } = await nightly((r) => (shardIndex(r) === 1 ? stopped(r) : r));
    expect(exitCode).toBe(MERGE_EXIT.shardStopped);
    expect(report).toContain(`shard 1/4 stopped (run nightly-shard1of4): ${error}`);
    const unfinished = shardsOf(sampleRun(), 4)[0]!.cells.slice(1);
    for (const c of unfinished) expect(report).toContain(c.id);
  });

  it("a missing shard outranks a stopped one, and both outrank a differing verdict", () => {
    const outcome = (status: "merged" | "stopped" | "missing") => ({ index: 1, status, unfinished: [] });
    expect(mergeExitCode([outcome("merged"), outcome("stopped"), outcome("missing")], 1)).toBe(MERGE_EXIT.shardMissing);
    expect(mergeExitCode([outcome("merged"), outcome("stopped")], 1)).toBe(MERGE_EXIT.shardStopped);
    expect(mergeExitCode([outcome("merged")], 1)).toBe(1);
  });

  it("shards of different counts are an input error naming both runs", () => {
    const [a] = shardsOf(sampleRun(), 2);
    const [, b] = shardsOf(sampleRun(), 3);
    expect(() => mergeRuns([a!, b!], "m")).toThrow(
      /run nightly-shard2of3 is shard 2\/3, but nightly-shard1of2 is one of 2 shards/,
    );
  });
});
