import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARCHES } from "../../harness/core/arch.js";
import { exists } from "../../harness/core/files.js";
import { qemuArgv, type QemuSpec } from "../../harness/vm/qemu/argv.js";
import {
  findSnapshot,
  snapshotKey,
  snapshotScratch,
  snapshotShape,
  storeSnapshot,
  type SnapshotKeyInputs,
} from "../../harness/vm/qemu/snapshot.js";

const cold: QemuSpec = {
  arch: ARCHES.x86_64,
  accel: "tcg",
  cpus: 4,
  memoryMiB: 1024,
  kernel: "/cache/images/k1/bzImage",
  initrd: "/results/r1/guest/initramfs.cpio",
  disk: "/results/r1/iterations/before-1/disk.img",
  consoleLog: "/results/r1/iterations/before-1/console.log",
  sshPort: 40022,
  vmgenid: "11111111-1111-4111-8111-111111111111",
  qmpSocket: "/tmp/kharness-qmp-1.sock",
  extraCmdline: ["sysctl.kernel.hung_task_timeout_secs=10"],
};
const restored: QemuSpec = {
  ...cold,
  disk: "/results/r1/iterations/before-2/disk.img",
  consoleLog: "/results/r1/iterations/before-2/console.log",
  sshPort: 40133,
  vmgenid: "22222222-2222-4222-8222-222222222222",
  qmpSocket: "/tmp/kharness-qmp-2.sock",
  incoming: "/cache/snapshots/abc/state",
};
const { disk: _disk, ...diskless } = cold;
const inputs: SnapshotKeyInputs = {
  kernelSha256: "k",
  initrdSha256: "i",
  qemuVersion: "QEMU emulator version 7.2.22",
  diskBytes: 2 ** 30,
  shape: snapshotShape(cold),
};

describe("the restore argv", () => {
  it("is the cold boot's machine: only the files, the port, the generation ID and -incoming differ", () => {
    expect(snapshotShape(restored)).toEqual(snapshotShape(cold));
    const argv = qemuArgv(restored);
    expect(argv.slice(-2)).toEqual(["-incoming", "exec:cat /cache/snapshots/abc/state"]);
    expect(argv).toContain("vmgenid,guid=22222222-2222-4222-8222-222222222222");
    expect(argv).toContain("user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:40133-:22");
    // The console goes on after the snapshot's boot log (copied in first); a cold boot starts it afresh.
    expect(argv).toContain("file,id=console,path=/results/r1/iterations/before-2/console.log,append=on");
    expect(qemuArgv(cold)).toContain("file,id=console,path=/results/r1/iterations/before-1/console.log");
  });

  it("quotes the state file for exec:'s shell", () => {
    expect(qemuArgv({ ...restored, incoming: "/a b/state" }).at(-1)).toBe("exec:cat '/a b/state'");
  });
});

describe("the snapshot key", () => {
  it("changes with the image, the initramfs, QEMU, the disk's size and every part of the guest's shape", () => {
    const base = snapshotKey(inputs);
    const changed = [
      { ...inputs, kernelSha256: "k2" },
      { ...inputs, initrdSha256: "i2" },
      { ...inputs, qemuVersion: "QEMU emulator version 8.2.0" },
      { ...inputs, diskBytes: 2 ** 24 },
      { ...inputs, shape: snapshotShape({ ...cold, accel: "kvm" }) },
      { ...inputs, shape: snapshotShape({ ...cold, cpuModel: "host" }) },
      { ...inputs, shape: snapshotShape({ ...cold, cpus: 2 }) },
      { ...inputs, shape: snapshotShape({ ...cold, memoryMiB: 512 }) },
      { ...inputs, shape: snapshotShape({ ...cold, extraCmdline: [] }) },
      { ...inputs, shape: snapshotShape(diskless) },
    ];
    for (const c of changed) expect(snapshotKey(c), JSON.stringify(c).slice(0, 200)).not.toBe(base);
  });

  it("does not change with what each boot gets new (files, port, generation ID, sockets)", () => {
    expect(snapshotKey({ ...inputs, shape: snapshotShape(restored) })).toBe(snapshotKey(inputs));
  });
});

describe("the snapshot store", () => {
  let tmp: string;
  const saved = process.env.KHARNESS_CACHE;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-snap-"));
    process.env.KHARNESS_CACHE = tmp;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.KHARNESS_CACHE;
    else process.env.KHARNESS_CACHE = saved;
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const save = async (key: string, state = "migration stream") => {
    const scratch = await snapshotScratch(key);
    await fs.writeFile(path.join(scratch, "state"), state);
    await storeSnapshot(scratch, key, "Linux version 6.1\nkharness-guest-ready\n", { bootMs: 5000, saveMs: 700 });
  };

  it("gives back a stored snapshot with its boot console", async () => {
    await save("a1");
    const snap = await findSnapshot("a1");
    expect(await fs.readFile(snap!.state, "utf8")).toBe("migration stream");
    expect(await fs.readFile(snap!.console, "utf8")).toMatch(/kharness-guest-ready/);
    expect(snap!.meta).toMatchObject({ key: "a1", stateBytes: 16, bootMs: 5000 });
    expect(await findSnapshot("other")).toBeUndefined();
  });

  it(
    "never restores a state that no longer has its recorded hash " +
      "(even one this process hashed before), and removes it",
    async () => {
      await save("b2");
      const snap = await findSnapshot("b2");
      await fs.writeFile(snap!.state, "migration strEam");
      expect(await findSnapshot("b2")).toBeUndefined();
      expect(await exists(path.dirname(snap!.state))).toBe(false);
    },
  );

  it("keeps the first of two saves of one key, and only the entries used last", async () => {
    await save("c3", "first");
    await save("c3", "second");
    expect(await fs.readFile((await findSnapshot("c3"))!.state, "utf8")).toBe("first");
    for (let i = 0; i < 14; i++) await save(`old${i}`);
    const left = await fs.readdir(path.join(tmp, "snapshots"));
    expect(left).toHaveLength(12);
    expect(left).not.toContain("a1");
  });
});
