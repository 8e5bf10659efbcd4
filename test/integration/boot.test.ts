import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentProgress } from "../../harness/core/progress.js";
import { vmImplementation } from "../../harness/vm/registry.js";
import type { VmInstance } from "../../harness/vm/types.js";
import { baselineGuest } from "../support/baselineGuest.js";

const dir = path.join(os.tmpdir(), `kharness-boot-${process.pid}`);

/**
 * A real kernel of `arch` (the scenario's baseline, through the build cache: cold, this is
 * the full build) booted in QEMU with that arch's guest programs, and `check` run on it.
 */
async function bootAndCheck(arch: string, cpus: number, check: (vm: VmInstance, consoleLog: string) => Promise<void>) {
  const out = path.join(dir, arch);
  await fs.mkdir(out, { recursive: true });
  const guest = await baselineGuest(out, arch);
  const qemu = vmImplementation("qemu");
  const accel = await qemu.accelerator(guest, silentProgress);
  const consoleLog = path.join(out, "console.log");
  const boot = await qemu.boot({
    ...guest,
    accel,
    cpus,
    memoryMiB: 512,
    consoleLog,
    cmdline: [],
    bootTimeoutMs: 240_000,
  });
  if (!boot.ok) throw new Error(`boot failed: ${boot.reason}\n${boot.console.slice(-3000)}`);
  try {
    await check(boot.vm, consoleLog);
  } finally {
    await boot.vm.stop();
  }
}

describe("boot a real kernel and run a command over SSH", () => {
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("x86_64: boots the baseline kernel with 4 vCPUs and answers over SSH", { timeout: 45 * 60_000 }, async () => {
    await bootAndCheck("x86_64", 4, async (vm, consoleLog) => {
      const r = await vm.shell.exec(
        "uname -r; nproc; cat /sys/fs/cgroup/cgroup.controllers; ls /sys/devices/system/cpu/cpu1/online",
        30_000,
      );
      expect(r.code).toBe(0);
      const [release, cpus, controllers, online] = r.stdout.trim().split("\n");
      expect(release).toMatch(/^6\.1\./);
      expect(cpus).toBe("4");
      expect(controllers).toContain("memory");
      expect(online).toBe("/sys/devices/system/cpu/cpu1/online");
      // The console file holds the boot from its first line.
      expect(await fs.readFile(consoleLog, "utf8")).toMatch(/Linux version 6\.1\./);
    });
  });

  it(
    "arm64: a cross-built kernel boots under TCG, answers over SSH and takes cpu1 off and on through PSCI",
    { timeout: 90 * 60_000 },
    async () => {
      await bootAndCheck("arm64", 2, async (vm, consoleLog) => {
        const r = await vm.shell.exec("uname -m; uname -r; nproc; cat /sys/fs/cgroup/cgroup.controllers", 30_000);
        expect(r.code).toBe(0);
        const [machine, release, cpus, controllers] = r.stdout.trim().split("\n");
        expect(machine).toBe("aarch64");
        expect(release).toMatch(/^6\.1\./);
        expect(cpus).toBe("2");
        expect(controllers).toContain("memory");
        const cpu1 = "/sys/devices/system/cpu/cpu1/online";
        const toggle = await vm.shell.exec(
          `echo 0 > ${cpu1} && cat ${cpu1} && nproc && echo 1 > ${cpu1} && cat ${cpu1} && nproc`,
          60_000,
        );
        expect(toggle.code).toBe(0);
        expect(toggle.stdout.trim().split("\n")).toEqual(["0", "1", "1", "2"]);
        const text = await fs.readFile(consoleLog, "utf8");
        expect(text).toMatch(/Linux version 6\.1\.\S+ .*aarch64-linux-gnu-gcc/);
        // The CPU went down through the firmware, not just out of the scheduler.
        expect(text).toMatch(/psci: CPU1 killed/);
      });
    },
  );
});
