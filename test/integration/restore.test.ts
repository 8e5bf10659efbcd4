import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256File } from "../../harness/core/hash.js";
import { cacheRoot } from "../../harness/core/paths.js";
import { silentProgress } from "../../harness/core/progress.js";
import { vmImplementation } from "../../harness/vm/registry.js";
import { baselineGuest } from "../support/baselineGuest.js";
import { snapshotKeyOf } from "../../harness/vm/qemu/snapshotBoot.js";
import type { BootResult, VmSpec } from "../../harness/vm/types.js";
import { makeDisk } from "../../harness/vm/disk.js";
import { MEMCG_GROUP } from "../../harness/workload/steps/memcgWriter.js";
import { guestScript } from "../../harness/workload/step.js";

const memcgSetup = guestScript("memcg-setup.sh", { MEMCG_GROUP, MEMCG_MAX: "64M", WRITEBACK_CENTISECS: 20 });

// The baseline kernel booted cold and saved, then restored from that snapshot: a new QEMU,
// a new SSH port, a fresh disk and a new VM generation ID. Its own initramfs (its own keys)
// makes its snapshot key its own.
describe("a booted snapshot, restored", () => {
  const dir = path.join(os.tmpdir(), `kharness-restore-${process.pid}`);
  const qemu = vmImplementation("qemu");
  let spec: Omit<VmSpec, "disk" | "consoleLog">;
  let boots = 0;
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const guest = await baselineGuest(dir);
    const accel = await qemu.accelerator(guest, silentProgress);
    spec = { ...guest, accel, cpus: 4, memoryMiB: 1024, cmdline: [], bootTimeoutMs: 240_000, snapshot: true };
  }, 45 * 60_000);

  /** A boot on a fresh disk of one shape (1 GiB, ext2 made on the host), as each run of the default scenario gets. */
  async function boot(): Promise<BootResult & { consoleLog: string }> {
    const run = path.join(dir, `run-${++boots}`);
    await fs.mkdir(run, { recursive: true });
    const disk = path.join(run, "disk.img");
    await makeDisk(disk, 2 ** 30, "ext2");
    const consoleLog = path.join(run, "console.log");
    return { ...(await qemu.boot({ ...spec, disk, consoleLog })), consoleLog };
  }

  async function inGuest(b: BootResult, command: string): Promise<string> {
    if (!b.ok) throw new Error(`boot failed: ${b.reason}\n${b.console.slice(-2000)}`);
    const r = await b.vm.shell.exec(command, 60_000);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  }

  it(
    "starts from the saved guest, with the boot's console, " +
      "a working fresh host-made ext2 disk its workload mounts, and new random numbers",
    { timeout: 10 * 60_000 },
    async () => {
      const first = await boot();
      expect(first.ok && first.start, reasonOf(first)).toBe("saved");
      await inGuest(first, "touch /tmp/after-the-save");
      if (first.ok) await first.vm.stop();

      const uuids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const b = await boot();
        expect(b.ok && b.start, reasonOf(b)).toBe("restored");
        // The state is the save's: nothing the first run did after it is there.
        expect(await inGuest(b, "test -e /tmp/after-the-save && echo there || echo absent")).toBe("absent");
        // The writer's real setup mounts this run's disk, not what the saved guest read of its own at boot.
        await inGuest(b, memcgSetup);
        expect(await inGuest(b, "echo ok > /mnt/f && sync && cat /mnt/f && umount /mnt")).toBe("ok");
        uuids.push(await inGuest(b, "cat /proc/sys/kernel/random/uuid"));
        const console = await fs.readFile(b.consoleLog, "utf8");
        expect(console).toMatch(/Linux version 6\.1\.[\s\S]*restored from the booted snapshot/);
        if (b.ok) await b.vm.stop();
      }
      // Each restore has a new VM generation ID, on which Linux reseeds its RNG.
      expect(uuids[0]).not.toBe(uuids[1]);
    },
  );

  it(
    "a restore that fails is an infra failure that drops the snapshot, so the next boot is cold and saves again",
    { timeout: 10 * 60_000 },
    async () => {
      const snapshots = path.join(cacheRoot(), "snapshots");
      const ours = await snapshotKeyOf({ ...spec, disk: path.join(dir, "run-1", "disk.img"), consoleLog: "" });
      // A state with a valid hash that QEMU cannot load: the hash check passes, the restore fails.
      const state = path.join(snapshots, ours, "state");
      await fs.writeFile(state, "QEVM not a migration stream");
      const metaFile = path.join(snapshots, ours, "meta.json");
      const meta = JSON.parse(await fs.readFile(metaFile, "utf8")) as { stateSha256: string };
      await fs.writeFile(metaFile, JSON.stringify({ ...meta, stateSha256: await sha256File(state) }));

      const failed = await boot();
      expect(failed.ok).toBe(false);
      expect(!failed.ok && failed.cause).toBe("infra");
      expect(!failed.ok && failed.reason).toMatch(/restor/);
      await expect(fs.access(path.join(snapshots, ours))).rejects.toThrow();
      const again = await boot();
      expect(again.ok && again.start, reasonOf(again)).toBe("saved");
      if (again.ok) await again.vm.stop();
    },
  );
});

/** Why a boot failed, for the assertion's message. */
function reasonOf(b: BootResult): string {
  return b.ok ? (b.warning ?? "") : `${b.cause}: ${b.reason}\n${b.console.slice(-1500)}`;
}
