import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentProgress } from "../../harness/core/progress.js";
import { buildKey, expandCells, newCell } from "../../harness/matrix/expand.js";
import { runPool } from "../../harness/pipeline/cells.js";
import { prepareGuest } from "../../harness/pipeline/guest.js";
import { INFRA_RETRIES, runIteration } from "../../harness/pipeline/iteration.js";
import { loadedKey, newRunFile } from "../../harness/pipeline/runRecord.js";
import { watchVerdict } from "../../harness/pipeline/monitor.js";
import { signatureRecord } from "../../harness/verdict/signatures.js";
import { loadScenario } from "../../harness/scenario/load.js";
import type { Scenario } from "../../harness/scenario/schema.js";
import type { VmSpec } from "../../harness/vm/types.js";
import { bugsOfRun } from "../../harness/verdict/bugs.js";
import { judgeGroups } from "../../harness/verdict/groups.js";
import { fakeVm, fixture, type FakeBoot } from "../fakes/fakeVm.js";

const root = fs.mkdtemp(path.join(os.tmpdir(), "kharness-pipeline-"));
afterAll(async () => fs.rm(await root, { recursive: true, force: true }));

const BEFORE = fixture("linux-6.1-memcg/before-console.log");
const CLEAN = fixture("linux-6.1-memcg/fix-drop-lock-console.log");
const REORDER = fixture("linux-6.1-memcg/fix-reorder-console.log");

/** One iteration of the default scenario on a fake VM that follows `script`. */
async function iterate(script: FakeBoot[], workload: Partial<Scenario["workload"]> = {}) {
  const loaded = await loadScenario("memcg-hotplug-lockdep");
  const scenario = { ...loaded.scenario, workload: { ...loaded.scenario.workload, ...workload } };
  const runDir = await fs.mkdtemp(path.join(await root, "run-"));
  const vm = fakeVm(script);
  const guest = await prepareGuest(runDir, loaded.arch, "/nonexistent/bzImage", vm, silentProgress);
  const out = await runIteration(
    { scenario, arch: loaded.arch, label: "before", iteration: 1, bzImage: "bzImage", guest, runDir, vm },
    silentProgress,
  );
  return { ...out, vm, runDir };
}

describe("one iteration, on a fake VM that replays real consoles", () => {
  it("a completed workload: the console's reports become the run's signatures", async () => {
    const { record, groups } = await iterate([{ boot: "ok", console: BEFORE }]);
    expect(record.status).toBe("completed");
    expect(groups.some((g) => g.first.title.startsWith("BUG: sleeping function called from invalid context"))).toBe(
      true,
    );
    expect(record.splats.length).toBe(groups.length);
    // The console's first report is the run's primary, and the verdicts' bug: the kernel is tainted after it.
    const primary = groups.find((g) => g.signature === record.primary)!;
    expect(primary.first.title).toBe("WARNING: suspicious RCU usage in mem_cgroup_wb_stats");
    const signatures = Object.fromEntries(groups.map((g) => [g.signature, signatureRecord(g)]));
    expect(bugsOfRun(record, signatures)).toMatchObject({ primary: "rcu:mem_cgroup_wb_stats" });
  });

  it("a guest that dies during the workload is a crash; its console is still parsed", async () => {
    const { record, groups } = await iterate([{ boot: "ok", console: BEFORE, workload: "crash" }]);
    expect(record.status).toBe("crash");
    expect(groups.length).toBeGreaterThan(0);
    expect(record.dmesg).toBeUndefined();
  });

  it(
    "a guest that stops answering while it still runs is a hang: " + "sysrq is tried, the console is the record",
    async () => {
      const { record, vm } = await iterate([
        { boot: "ok", console: fixture("linux-6.1-memcg/before-hang-console.log"), workload: "hang" },
      ]);
      expect(record.status).toBe("hang");
      expect(vm.exec.some((c) => c.includes("sysrq-trigger"))).toBe(true);
      expect(record.reason).toMatch(/dmesg could not be read/);
    },
  );

  it(
    "a kernel that panics at boot is a boot failure (evidence), " + "with its console's reports, and is not retried",
    async () => {
      const { record, groups, vm } = await iterate([
        { boot: "panic", console: fixture("linux-6.1-injected/panic-console.log") },
        { boot: "ok", console: CLEAN },
      ]);
      expect(record.status).toBe("boot-failure");
      expect(vm.boots).toHaveLength(1);
      expect(groups.map((g) => g.first.title)).toContainEqual(
        expect.stringMatching(/^kernel panic: kharness: injected panic/),
      );
    },
  );

  it("a host failure is retried; one that persists is infra, never a boot failure", async () => {
    const recovered = await iterate([
      { boot: "infra", reason: "Could not set up host forwarding rule" },
      { boot: "ok", console: CLEAN },
    ]);
    expect(recovered.record.status).toBe("completed");
    expect(recovered.vm.boots).toHaveLength(2);
    const persistent = await iterate([
      {
        boot: "infra",
        reason: "the guest's sshd refused the connection: All configured authentication methods failed",
      },
    ]);
    expect(persistent.record.status).toBe("infra");
    expect(persistent.vm.boots).toHaveLength(INFRA_RETRIES + 1);
    expect(persistent.record.reason).toMatch(/authentication/);
  });

  it("the first report decides the run: a short tail for its cascade, then the guest is stopped", async () => {
    const started = Date.now();
    const { record } = await iterate([{ boot: "ok", console: BEFORE, workload: "slow" }], { tailSec: 1 });
    expect(record.status).toBe("completed");
    expect(record.stoppedEarly).toMatch(
      /after the first report ended \(WARNING: suspicious RCU usage in mem_cgroup_wb_stats\)/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("the watch reads the console as it grows: a report printed once the workload runs decides the run", async () => {
    // The first report starts at line 236: 100 lines at boot, then 10 every 200 ms print it about 2.7 s in,
    // after the watch's first reads of the console (four a second), which see it half printed and must
    // not call it whole.
    const printed = { atBoot: 100, lines: 10, everyMs: 200 };
    const boot: FakeBoot = { boot: "ok", console: BEFORE, workload: "slow", printed };
    const { record } = await iterate([boot], { tailSec: 1, timeoutSec: 10 });
    expect(record.stoppedEarly).toMatch(
      /after the first report ended \(WARNING: suspicious RCU usage in mem_cgroup_wb_stats/,
    );
    expect(record.firstReportMs).toBeGreaterThanOrEqual(2000);
    expect(record.status).toBe("completed");
  }, 15_000);

  it(
    "a guest that shows a report and then does not answer dmesg " +
      "costs 5 s of collecting, not 30: the console has the report",
    async () => {
      const { record } = await iterate([{ boot: "ok", console: BEFORE, workload: "mute" }], {
        tailSec: 1,
        timeoutSec: 60,
      });
      expect(record.stoppedEarly).toMatch(/after the first report ended/);
      expect(record.collectMs).toBeGreaterThanOrEqual(4_900);
      expect(record.collectMs).toBeLessThan(10_000);
      expect(record.dmesg).toBeUndefined();
    },
    30_000,
  );

  it("a run nothing decides runs its whole workload", async () => {
    const { record } = await iterate([{ boot: "ok", console: CLEAN }], { tailSec: 1 });
    expect(record.status).toBe("completed");
    expect(record.stoppedEarly).toBeUndefined();
  });

  it("a wedged guest (no progress, no answer) is a hang after wedgeSec, not after the workload timeout", async () => {
    const started = Date.now();
    const { record } = await iterate([{ boot: "ok", console: CLEAN, workload: "wedge" }], {
      wedgeSec: 5,
      timeoutSec: 300,
    });
    expect(record.status).toBe("hang");
    expect(record.reason).toMatch(/no workload progress for \d+ s and the guest does not answer/);
    // wedgeSec, then two unanswered probes (8 s each): far below the 300 s workload timeout.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 40_000);

  it("a workload command that fails is an error with its message", async () => {
    const { record } = await iterate([{ boot: "ok", console: CLEAN, workload: "error" }]);
    expect(record.status).toBe("error");
    expect(record.reason).toMatch(/mke2fs: no such device/);
  });

  it("a workload command that fails after the kernel reported is a crash: it ended with evidence", async () => {
    const { record, groups } = await iterate([{ boot: "ok", console: BEFORE, workload: "error" }]);
    expect(groups.length).toBeGreaterThan(0);
    expect(record.status).toBe("crash");
    expect(record.reason).toMatch(/mke2fs: no such device/);
  });
});

describe("the cell pool, on a fake VM", () => {
  /** The default scenario's group on 2 fake VMs, each kernel replaying its own variant's real console. */
  const consoleOf: Record<string, string> = {
    "bzImage-before": BEFORE,
    "bzImage-fix-reorder": REORDER,
    "bzImage-fix-drop-lock": CLEAN,
  };
  /** Each kernel replays its own variant's real console. */
  const realConsoles = (spec: VmSpec): FakeBoot => ({ boot: "ok", console: consoleOf[spec.kernel]! });
  /** The boots of one kernel so far (this one included). */
  const nth = (spec: VmSpec, boots: VmSpec[]) => boots.filter((b) => b.kernel === spec.kernel).length + 1;

  async function pool(maxRuns: number, script: (spec: VmSpec, boots: VmSpec[]) => FakeBoot = realConsoles) {
    const loaded = await loadScenario("memcg-hotplug-lockdep");
    const dir = await fs.mkdtemp(path.join(await root, "pool-"));
    const keys = expandCells({
      scenarios: [{ name: loaded.scenario.name, baseline: "before", variants: Object.keys(loaded.scenario.variants) }],
      kernels: ["linux-6.1"],
      arches: ["x86_64"],
      cpus: [2],
      hotplug: [true],
    });
    const cells = keys.map((k) => newCell(k, "before", maxRuns, buildKey(k)));
    const run = newRunFile({
      kind: "matrix",
      id: "pool",
      input: { name: "t", file: "t.yaml", sha256: "x" },
      host: { hostname: "h", cpus: 2, memoryMiB: 1, node: "v20" },
      cells,
      expect: {},
      settings: { confidence: 0.95, maxRuns, residual: 1 },
    });
    const vm = fakeVm(script);
    const guests = new Map([["x86_64", await prepareGuest(dir, loaded.arch, "bzImage-before", vm, silentProgress)]]);
    const images = new Map(cells.map((c) => [c.build, `bzImage-${c.variant}`]));
    let saves = 0;
    const scenarios = new Map([[loadedKey(loaded), loaded]]);
    await runPool({ run, dir, scenarios, jobs: 2, vm, save: async () => void saves++ }, images, guests, silentProgress);
    const runsOf = Object.fromEntries(run.cells.map((c) => [c.variant, c.runs.length]));
    return {
      run,
      vm,
      saves,
      runsOf,
      verdicts: Object.fromEntries(judgeGroups(run)[0]!.verdicts.map((v) => [v.fix, v.verdict])),
    };
  }

  it(
    "runs variants until each is decided: " + "the reorder fix at its first run, the drop-lock fix at 3/3 against 0/3",
    async () => {
      const { run, vm, saves, runsOf, verdicts } = await pool(12);
      // Fisher's p for 3/3 against 0/3 is 1/20, within the level calibrated for 12 runs (1/12).
      expect(runsOf).toEqual({ before: 3, "fix-reorder": 1, "fix-drop-lock": 3 });
      expect(vm.boots).toHaveLength(7);
      expect(vm.boots.every((b) => b.cpus === 2)).toBe(true);
      expect(saves).toBe(7);
      expect(verdicts).toEqual({ "fix-reorder": "NOT FIXED", "fix-drop-lock": "FIXED" });
      expect(run.cells.find((c) => c.variant === "fix-reorder")!.stopped).toMatch(
        /^NOT FIXED: a baseline bug in 1 of 1 fix run/,
      );
      expect(run.cells.every((c) => c.status === "done" && c.stopped)).toBe(true);
    },
  );

  it("a budget too small for 95% gives INCONCLUSIVE, never FIXED", async () => {
    const { runsOf, verdicts } = await pool(2);
    // With 2 runs no outcome can be FIXED at 95% (2/2 against 0/2 happens 6% of the time to a fix
    // that changes nothing): each fix gets one run, which can still show the baseline's bug.
    expect(runsOf).toEqual({ before: 1, "fix-reorder": 1, "fix-drop-lock": 1 });
    expect(verdicts).toEqual({ "fix-reorder": "NOT FIXED", "fix-drop-lock": "INCONCLUSIVE" });
  });

  it(
    "infra runs are recorded and never judged: " + "a fix whose host failed twice is judged on its clean runs alone",
    async () => {
      // Each of fix-drop-lock's first two runs fails in every boot try (a QEMU that will not start).
      const infra = (spec: VmSpec, boots: VmSpec[]): FakeBoot =>
        spec.kernel === "bzImage-fix-drop-lock" && nth(spec, boots) <= 2 * (INFRA_RETRIES + 1)
          ? { boot: "infra", reason: "qemu exited (code 1) before the guest was reachable" }
          : realConsoles(spec);
      const { verdicts, run } = await pool(12, infra);
      expect(verdicts).toEqual({ "fix-reorder": "NOT FIXED", "fix-drop-lock": "FIXED" });
      const drop = run.cells.find((c) => c.variant === "fix-drop-lock")!;
      // Its 3 clean runs are judged against the baseline's first 3 runs, not the 5 it had by then.
      expect(drop.runs.map((r) => r.status)).toEqual(["infra", "infra", "completed", "completed", "completed"]);
      const verdict = judgeGroups(run)[0]!.verdicts.find((v) => v.fix === "fix-drop-lock")!;
      expect(verdict).toMatchObject({ cleanRuns: 3, baseline: { k: 3, n: 3 } });
      expect(verdict.test!.pValue).toBeCloseTo(1 / 20, 12);
    },
  );

  it("a guest that dies with no report is a bug, never a clean run", async () => {
    const silent = (spec: VmSpec): FakeBoot =>
      spec.kernel === "bzImage-before" ? { boot: "ok", console: "", workload: "crash" } : realConsoles(spec);
    const { run, verdicts } = await pool(12, silent);
    const before = judgeGroups(run)[0]!.stats.find((s) => s.variant === "before")!;
    expect(before.bugRuns).toBe(before.runs);
    expect(verdicts["fix-drop-lock"]).toBe("FIXED");
  });

  it(
    "a decided fix keeps its verdict: " + "later baseline misses (for another fix still running) do not reopen it",
    async () => {
      // The baseline hits its first 3 runs and misses after; the reorder fix, clean here, loses
      // its first two runs to the host, so the baseline runs on for it after drop-lock is FIXED.
      const misses = (spec: VmSpec, boots: VmSpec[]): FakeBoot => {
        if (spec.kernel === "bzImage-before" && nth(spec, boots) > 3) return { boot: "ok", console: CLEAN };
        if (spec.kernel === "bzImage-fix-reorder")
          return nth(spec, boots) <= 2 * (INFRA_RETRIES + 1)
            ? { boot: "infra", reason: "port taken" }
            : { boot: "ok", console: CLEAN };
        return realConsoles(spec);
      };
      const { run, runsOf, verdicts } = await pool(20, misses);
      expect(runsOf).toEqual({ before: 5, "fix-reorder": 5, "fix-drop-lock": 3 });
      expect(verdicts).toEqual({ "fix-reorder": "FIXED", "fix-drop-lock": "FIXED" });
      const drop = run.cells.find((c) => c.variant === "fix-drop-lock")!;
      expect(drop.judgedAgainst).toBe(3);
      const v = judgeGroups(run)[0]!.verdicts.find((x) => x.fix === "fix-drop-lock")!;
      // Against all 5 baseline runs (3/5) the same clean runs would give p = 10/56: not FIXED.
      expect(v).toMatchObject({ verdict: "FIXED", baseline: { k: 3, n: 3 } });
    },
  );
});

describe("the watch of a running workload (pure rules)", () => {
  const cfg = { tailMs: 3000, wedgeMs: 30_000 };
  it("stops a tail after the first report ends, not before", () => {
    expect(
      watchVerdict({ startedAt: 0, now: 10_000, lastOutputAt: 9_000, reportEndedAt: 8_000, reportTitle: "BUG: x" }, cfg)
        .kind,
    ).toBe("continue");
    expect(
      watchVerdict({ startedAt: 0, now: 11_000, lastOutputAt: 9_000, reportEndedAt: 8_000, reportTitle: "BUG: x" }, cfg)
        .kind,
    ).toBe("decided");
    expect(
      watchVerdict({ startedAt: 0, now: 99_000, lastOutputAt: 98_000, reportEndedAt: 8_000 }, { ...cfg, tailMs: 0 })
        .kind,
    ).toBe("continue");
  });
  it("a quiet guest is wedged only when it also does not answer", () => {
    expect(watchVerdict({ startedAt: 0, now: 40_000, lastOutputAt: 5_000 }, cfg).kind).toBe("continue");
    expect(watchVerdict({ startedAt: 0, now: 40_000, lastOutputAt: 5_000, silentSince: 30_000 }, cfg).kind).toBe(
      "wedged",
    );
    expect(watchVerdict({ startedAt: 0, now: 20_000, lastOutputAt: 5_000, silentSince: 10_000 }, cfg).kind).toBe(
      "continue",
    );
    // One slow answer of a busy guest is not a wedge: it must stay silent for a while.
    expect(watchVerdict({ startedAt: 0, now: 40_000, lastOutputAt: 5_000, silentSince: 35_000 }, cfg).kind).toBe(
      "continue",
    );
  });
});
