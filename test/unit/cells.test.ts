/**
 * The one cell runner (runCells: builds, one guest, rounds of runs) on the fake VM that
 * replays real consoles, with each variant's kernel build scripted: a compile error is a
 * BuildFailure, as make's would be, and anything else a host error.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { BuildFailure } from "../../harness/build/build.js";
import { silentProgress } from "../../harness/core/progress.js";
import { checkCells, runCells } from "../../harness/pipeline/cells.js";
import type { PreparedVariant, VariantKernel } from "../../harness/pipeline/kernel.js";
import { scenarioRunFile } from "../support/runFile.js";
import type { RunFile } from "../../harness/records/run.js";
import { loadScenario, type LoadedScenario } from "../../harness/scenario/load.js";
import type { VmSpec } from "../../harness/vm/types.js";
import { judgeGroups, exitCodeOf } from "../../harness/verdict/groups.js";
import { fakeVm, fixture, type FakeBoot } from "../fakes/fakeVm.js";

/** How each variant's build ends: built, a compile error, or the host's failure. */
const builds = vi.hoisted(() => ({ outcome: {} as Record<string, "built" | "compile-error" | "host-error"> }));

vi.mock("../../harness/pipeline/kernel.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../harness/pipeline/kernel.js")>();
  const prepared = (loaded: LoadedScenario, variant: string): PreparedVariant => ({
    loaded,
    variant,
    source: "tarball /usr/src/linux-source-6.1.tar.xz",
    tree: { id: "linux-6.1-test", content: "test", sourceHash: "0123", dir: "/src" },
    series: { patches: [], reports: [], warnings: [] },
    config: { text: "", sha256: "c0", buildDir: "/src/.kharness-build-c0", fromCache: true },
    configNames: { base: "tinyconfig", fragments: [] },
    toolchain: "gcc 12",
    make: "make",
    timings: { sourceMs: 0, configMs: 0 },
  });
  return {
    ...real,
    prepareVariant: async (loaded: LoadedScenario, variant: string) => prepared(loaded, variant),
    buildVariant: async (p: PreparedVariant, buildLog: string): Promise<VariantKernel> => {
      const outcome = builds.outcome[p.variant] ?? "built";
      const image = {
        key: `image-${p.variant}`,
        bzImage: p.variant,
        cached: true,
        durationMs: 0,
        command: "make",
        compiled: [],
      };
      if (outcome === "built") return { ...p, image, timings: { ...p.timings, buildMs: 0 } };
      if (outcome === "host-error") throw new Error("no space left on the device holding the build directory");
      const first = "../mm/memcontrol.c:2:23: error: expected expression before ';' token";
      const message = `kernel build failed (exit 2) for ${p.variant}: ${first}\nlast lines:\n...`;
      throw new BuildFailure(message, "see the log", first, buildLog);
    },
  };
});

const CONSOLES: Record<string, string> = {
  before: fixture("linux-6.1-memcg/before-console.log"),
  "fix-reorder": fixture("linux-6.1-memcg/fix-reorder-console.log"),
  "fix-drop-lock": fixture("linux-6.1-memcg/fix-drop-lock-console.log"),
};

const root = fs.mkdtemp(path.join(os.tmpdir(), "kharness-cells-"));
afterAll(async () => fs.rm(await root, { recursive: true, force: true }));
beforeEach(() => void (builds.outcome = {}));

/** The default scenario's three variants through runCells; each kernel replays its variant's real console. */
async function cells(outcome: typeof builds.outcome = {}) {
  builds.outcome = outcome;
  const loaded = await loadScenario("memcg-hotplug-lockdep");
  loaded.scenario.workload.tailSec = 0;
  const dir = await fs.mkdtemp(path.join(await root, "run-"));
  const run = scenarioRunFile(loaded, dir, 12);
  const vm = fakeVm((spec: VmSpec): FakeBoot => ({ boot: "ok", console: CONSOLES[spec.kernel]! }));
  const scenarios = new Map([["memcg-hotplug-lockdep/linux-6.1/x86_64", loaded]]);
  const prepared = await checkCells(run.cells, scenarios, silentProgress);
  const done = runCells({ run, dir, scenarios, prepared, jobs: 1, vm, save: async () => {} }, silentProgress);
  return { run, vm, done };
}

const got = (run: RunFile) => Object.fromEntries(judgeGroups(run)[0]!.results.map((r) => [r.cell.variant, r.got]));
const booted = (vm: { boots: VmSpec[] }) => [...new Set(vm.boots.map((b) => b.kernel))].sort();

describe("runCells: builds, then rounds of runs, judged by the one judge", () => {
  it("every kernel built, every verdict as expected: exit 0; the baseline expected CLEAN: exit 1", async () => {
    const { run, done } = await cells();
    await done;
    expect(got(run)).toEqual({ before: "REPRODUCES", "fix-reorder": "NOT FIXED", "fix-drop-lock": "FIXED" });
    expect(exitCodeOf(run)).toBe(0);
    run.expect["memcg-hotplug-lockdep/linux-6.1/x86_64"]!.before = "CLEAN";
    expect(exitCodeOf(run)).toBe(1);
  });

  it(
    "a fix that does not compile is BROKEN with its first error, never booted; " + "the others judged; exit 1",
    async () => {
      const { run, vm, done } = await cells({ "fix-drop-lock": "compile-error" });
      await done;
      const key = run.cells.find((c) => c.variant === "fix-drop-lock")!.build;
      const reason = expect.stringMatching(/^build failed: .*memcontrol\.c:2:23: error/);
      expect(run.builds[key]).toMatchObject({ status: "failed", reason });
      expect(run.cells.find((c) => c.variant === "fix-drop-lock")).toMatchObject({ status: "failed", runs: [] });
      expect(booted(vm)).toEqual(["before", "fix-reorder"]);
      expect(got(run)).toEqual({ before: "REPRODUCES", "fix-reorder": "NOT FIXED", "fix-drop-lock": "BROKEN" });
      expect(exitCodeOf(run)).toBe(1);
    },
  );

  it(
    "a baseline that does not compile closes its group: " + "no boot at all, no verdict for its fixes; exit 1",
    async () => {
      const { run, vm, done } = await cells({ before: "compile-error" });
      await done;
      expect(vm.boots).toEqual([]);
      const fixes = run.cells.filter((c) => c.variant !== "before");
      const closed = { status: "done", stopped: "the baseline's kernel did not build", runs: [] };
      for (const c of fixes) expect(c).toMatchObject(closed);
      expect(got(run)).toEqual({
        before: "BROKEN",
        "fix-reorder": "NOT REPRODUCED",
        "fix-drop-lock": "NOT REPRODUCED",
      });
      expect(exitCodeOf(run)).toBe(1);
    },
  );

  it("a host that fails a build is a host error, never BROKEN: the run stops, no failed build recorded", async () => {
    const { run, done } = await cells({ "fix-reorder": "host-error" });
    await expect(done).rejects.toThrow(/no space left/);
    expect(Object.values(run.builds).map((b) => b.status)).toEqual(["built"]);
    expect(run.cells.every((c) => c.status === "pending")).toBe(true);
  });
});
