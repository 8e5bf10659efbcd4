import { buildKey, expandCells, newCell } from "../../harness/matrix/expand.js";
import { RUN_SCHEMA, targetKey, type IterationRecord, type RunFile } from "../../harness/records/run.js";

const memcg = { name: "memcg", baseline: "before", variants: ["before", "fix-reorder", "fix-drop-lock"] };
export const memcgAxes = {
  scenarios: [memcg],
  kernels: ["linux-6.1", "linux-6.12"],
  arches: ["x86_64" as const],
  cpus: [2, 4],
  hotplug: [true, false],
};

/**
 * A finished 24-cell matrix run as the memcg bug gives it, with runs stopped the way the
 * sequential rules stop them: the baseline reproduces 5/5 (first report the RCU warning,
 * then the worker splat), the reorder leaves the worker splat (NOT FIXED at run 1), and
 * dropping the lock is clean in the 4 runs FIXED needs at that bound.
 */
export function sampleRun(statusOf: (id: string) => "done" | "pending" = () => "done"): RunFile {
  const run = (variant: string, i: number, sigs: string[]): IterationRecord => ({
    iteration: i,
    status: "completed",
    bootMs: 1000,
    workloadMs: 2000,
    collectMs: 100,
    console: `iterations/${variant}-${i}/console.log`,
    vmCommand: "",
    splats: sigs.map((signature) => ({ signature, count: 1 })),
    ...(sigs[0] !== undefined && { primary: sigs[0] }),
  });
  const runsOf: Record<string, string[][]> = {
    before: Array(5).fill(["rcu", "worker"]),
    "fix-reorder": [["worker"]],
    "fix-drop-lock": Array(4).fill([]),
  };
  const cells = expandCells(memcgAxes).map((k) => {
    const c = newCell(k, "before", 5, buildKey(k));
    c.status = statusOf(c.id);
    if (c.status === "done") c.runs = runsOf[k.variant]!.map((sigs, i) => run(k.variant, i + 1, sigs));
    return c;
  });
  return {
    schema: RUN_SCHEMA,
    kind: "matrix",
    id: "matrix-nightly-test",
    status: "completed",
    startedAt: "2026-11-26T00:00:00Z",
    input: { name: "nightly", file: "scenarios/nightly.yaml", sha256: "abc" },
    host: { hostname: "h", cpus: 2, memoryMiB: 24000, node: "v20" },
    expect: Object.fromEntries(
      memcgAxes.kernels.map((k) => [
        targetKey({ scenario: "memcg", kernel: k, arch: "x86_64" }),
        { "fix-reorder": "NOT FIXED", "fix-drop-lock": "FIXED" },
      ]),
    ),
    builds: {},
    cells,
    signatures: {
      rcu: {
        signature: "rcu",
        bug: "rcu:mem_cgroup_wb_stats",
        culprit: "mem_cgroup_wb_stats",
        kind: "rcu",
        title: "WARNING: suspicious RCU usage in mem_cgroup_wb_stats",
        callPath: ["mem_cgroup_wb_stats", "balance_dirty_pages"],
        frames: ["mem_cgroup_wb_stats", "balance_dirty_pages"],
        corrupted: false,
        excerpt: ["WARNING: suspicious RCU usage"],
      },
      worker: {
        signature: "worker",
        bug: "atomic-sleep:mem_cgroup_wb_stats",
        culprit: "mem_cgroup_wb_stats",
        kind: "atomic-sleep",
        title: "BUG: scheduling while atomic in mem_cgroup_wb_stats",
        callPath: ["mem_cgroup_wb_stats", "wb_over_bg_thresh"],
        frames: ["mem_cgroup_wb_stats", "wb_over_bg_thresh"],
        corrupted: false,
        excerpt: ["BUG: scheduling while atomic: kworker/u8:1/34/0x00000002"],
      },
    },
    timings: { build: 600000, boot: 24000, workload: 48000 },
    settings: { confidence: 0.95, maxRuns: 10, residual: 1 },
  };
}

/**
 * The run with a built kernel for each of its build keys (one that failed to compile, when asked), as
 * KCIDB's checkouts and builds need.
 */
export function withBuilds(run: RunFile, failed?: string): RunFile {
  const builds: RunFile["builds"] = {};
  for (const c of run.cells) {
    const { scenario, kernel, arch, variant } = c;
    if (c.build === failed) {
      builds[c.build] = {
        status: "failed",
        scenario,
        kernel,
        arch,
        variant,
        reason: "build failed: error: x",
        buildLog: "builds/f.log",
      };
      continue;
    }
    const source = {
      sourceId: `${kernel}-x`,
      sourceHash: "abc",
      source: `/usr/src/linux-source-${kernel.slice(6)}.tar.xz`,
    };
    const patches = [{ name: `${variant}.patch`, sha256: variant, path: `scenarios/memcg/${variant}.patch` }];
    const made = {
      configSha256: "c",
      imageKey: `i-${c.build}`,
      cached: false,
      buildMs: 1,
      compiledObjects: 1,
      command: "make",
    };
    builds[c.build] = {
      variant,
      scenario,
      kernel,
      arch,
      toolchain: "gcc 12",
      status: "built",
      ...source,
      patchWarnings: [],
      ...made,
      buildLog: "builds/b.log",
      patches,
    };
  }
  return { ...run, builds };
}
