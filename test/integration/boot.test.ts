import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentProgress } from "../../harness/core/progress.js";
import { vmImplementation } from "../../harness/vm/registry.js";
import { baselineGuest } from "../support/baselineGuest.js";

// A real kernel (the scenario's baseline, through the build cache: cold, this is the
// full build) booted in QEMU, and a command run in it over SSH.
describe("boot a real kernel and run a command over SSH", () => {
  const dir = path.join(os.tmpdir(), `kharness-boot-${process.pid}`);
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("boots the baseline kernel with 4 vCPUs and answers over SSH", { timeout: 45 * 60_000 }, async () => {
    const guest = await baselineGuest(dir);
    const qemu = vmImplementation("qemu");
    const accel = await qemu.accelerator(guest, silentProgress);
    const boot = await qemu.boot({ ...guest, accel, cpus: 4, memoryMiB: 512, consoleLog: path.join(dir, "console.log"), cmdline: [], bootTimeoutMs: 240_000 });
    if (!boot.ok) throw new Error(`boot failed: ${boot.reason}\n${boot.console.slice(-3000)}`);
    try {
      const r = await boot.vm.shell.exec("uname -r; nproc; cat /sys/fs/cgroup/cgroup.controllers; ls /sys/devices/system/cpu/cpu1/online", 30_000);
      expect(r.code).toBe(0);
      const [release, cpus, controllers, online] = r.stdout.trim().split("\n");
      expect(release).toMatch(/^6\.1\./);
      expect(cpus).toBe("4");
      expect(controllers).toContain("memory");
      expect(online).toBe("/sys/devices/system/cpu/cpu1/online");
      // The console file holds the boot from its first line.
      expect(await fs.readFile(path.join(dir, "console.log"), "utf8")).toMatch(/Linux version 6\.1\./);
    } finally {
      await boot.vm.stop();
    }
  });
});
