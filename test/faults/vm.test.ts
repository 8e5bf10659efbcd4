import { promises as fs } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { generateHostKey } from "../../harness/image/hostKey.js";
import { vmImplementation } from "../../harness/vm/registry.js";
import { baselineGuest } from "../support/baselineGuest.js";
import type { VmSpec } from "../../harness/vm/types.js";
import { kharness, leftovers, readJson, runDirIn, scratch } from "./support.js";

const root = scratch("vm");
afterAll(async () => fs.rm(await root, { recursive: true, force: true }));

/** A real boot of the baseline kernel with a real initramfs; `change` injects the fault. */
async function bootWith(change: (spec: VmSpec) => VmSpec) {
  const dir = await fs.mkdtemp(path.join(await root, "boot-"));
  const qemu = vmImplementation("qemu");
  const spec: VmSpec = {
    ...(await baselineGuest(dir)),
    accel: { accel: "tcg", reason: "test", probedAt: "", hostKey: "" },
    cpus: 2,
    memoryMiB: 512,
    consoleLog: path.join(dir, "console.log"),
    cmdline: [],
    bootTimeoutMs: 60_000,
  };
  const started = Date.now();
  const boot = await qemu.boot(change(spec));
  if (boot.ok) await boot.vm.stop();
  return { boot, ms: Date.now() - started, marker: dir };
}

describe("host failures are infra; kernel failures are evidence (real QEMU)", () => {
  it("QEMU that cannot start is infra", async () => {
    const { boot, marker } = await bootWith((s) => ({ ...s, kernel: "/nonexistent/bzImage" }));
    expect(boot.ok).toBe(false);
    expect(!boot.ok && boot.cause).toBe("infra");
    expect(await leftovers(marker)).toEqual([]);
  });

  it("a guest that presents another SSH host key is not our guest: infra", async () => {
    const other = await generateHostKey();
    const { boot } = await bootWith((s) => ({ ...s, hostPublicKey: other.publicKey }));
    expect(!boot.ok && boot.cause).toBe("infra");
    expect(!boot.ok && boot.reason).toMatch(/refused|Host denied|verification/i);
  });

  it("a kernel that panics at boot is a kernel failure with its console", async () => {
    const { boot } = await bootWith((s) => ({ ...s, cmdline: ["rdinit=/nonexistent-init"] }));
    expect(!boot.ok && boot.cause).toBe("kernel");
    expect(!boot.ok && boot.console).toMatch(/Kernel panic - not syncing/);
  });

  it("a kernel that never reaches the guest is a kernel failure after the boot timeout, not later", async () => {
    // The guest runs but never says it is ready (as a kernel stuck before init would): the boot timeout decides.
    const { boot, ms } = await bootWith((s) => ({
      ...s,
      readyMarker: "A-MARKER-THIS-GUEST-NEVER-PRINTS",
      bootTimeoutMs: 20_000,
    }));
    expect(!boot.ok && boot.cause).toBe("kernel");
    expect(!boot.ok && boot.reason).toMatch(/no SSH within 20s/);
    expect(ms).toBeLessThan(40_000);
  });
});

describe("a run survives its VM being killed, and a wedged guest", () => {
  it(
    "QEMU killed (SIGKILL) mid-workload: that run is infra with its console, and the run goes on",
    async () => {
      const results = await fs.mkdtemp(path.join(await root, "killed-"));
      const run = kharness(
        ["run", "memcg-hotplug-lockdep", "--variant", "before", "--max-runs", "2", "--accel", "tcg"],
        { KHARNESS_RESULTS: results },
      );
      // At once: a few seconds in, the run's first report may already have decided it.
      await run.waitFor(/\[workload before #1\] started/, 10 * 60_000);
      const dir = await runDirIn(results);
      await execa("pkill", ["-KILL", "-f", path.join(dir, "iterations", "before-1", "console.log")]);
      const result = await run.proc;
      expect([0, 1]).toContain(result.exitCode);
      const record = await readJson(path.join(dir, "run.json"));
      expect(record.status).toBe("completed");
      const [first, ...rest] = record.cells[0].runs;
      expect(first.status).toBe("infra");
      expect(first.reason).toMatch(/killed from outside/);
      expect((await fs.stat(path.join(dir, first.console))).size).toBeGreaterThan(0);
      // The infra run is no evidence: the baseline still got its evidence runs.
      expect(rest.some((r: { status: string }) => r.status !== "infra")).toBe(true);
      expect(await leftovers(results)).toEqual([]);
    },
    20 * 60_000,
  );

  it(
    "a guest that wedges is a hang within wedgeSec (+ one probe), recorded with its console, and the run completes",
    async () => {
      const results = await fs.mkdtemp(path.join(await root, "wedge-"));
      const run = kharness(["run", "wedge-selftest", "--accel", "tcg"], { KHARNESS_RESULTS: results });
      const result = await run.proc;
      expect(result.exitCode, run.output()).toBe(0);
      const record = await readJson(path.join(await runDirIn(results), "run.json"));
      const [only] = record.cells[0].runs;
      expect(only.status).toBe("hang");
      expect(only.reason).toMatch(/no workload progress/);
      expect(only.workloadMs).toBeLessThan(60_000);
      expect(record.status).toBe("completed");
    },
    20 * 60_000,
  );
});
