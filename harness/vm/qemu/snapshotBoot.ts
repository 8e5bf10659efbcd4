import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { sha256FileOnce } from "../../core/hash.js";
import { GuestShell } from "../ssh.js";
import type { BootResult, VmSpec } from "../types.js";
import { qemuArgv } from "./argv.js";
import {
  coldBoot,
  freeLoopbackPort,
  newQmpSocket,
  QemuInstance,
  qemuSpec,
  resume,
  SSH_REFUSED,
  startQemu,
  type Fail,
  type QemuProcess,
} from "./instance.js";
import { Qmp } from "./qmp.js";
import {
  dropSnapshot,
  findSnapshot,
  snapshotKey,
  snapshotScratch,
  snapshotShape,
  storeSnapshot,
  type Snapshot,
} from "./snapshot.js";
import { qemuVersion } from "./version.js";

/**
 * A restored guest that is not running and answering SSH by then has failed (a cold boot of the same guest
 * takes 5 s here).
 */
const RESTORE_TIMEOUT_MS = 30_000;

/**
 * The snapshot key of the guest `spec` boots: its kernel, initramfs, QEMU and shape (with the generation ID
 * device).
 */
export async function snapshotKeyOf(spec: VmSpec): Promise<string> {
  return snapshotKey({
    kernelSha256: await sha256FileOnce(spec.kernel),
    initrdSha256: await sha256FileOnce(spec.initrd),
    qemuVersion: await qemuVersion(spec.arch),
    diskBytes: spec.disk ? (await fs.stat(spec.disk)).size : undefined,
    shape: snapshotShape({ ...qemuSpec(spec, 0), vmgenid: "", qmpSocket: "" }),
  });
}

/**
 * Boot with snapshots: restore this kernel and shape's booted snapshot when there is one; else
 * boot cold and save the guest once it is ready (before any workload), for the next runs. A
 * restore that fails is the host's failure (infra, retried by the caller) and its snapshot is
 * dropped, so the retry boots cold and saves a new one.
 */
export async function bootWithSnapshot(spec: VmSpec): Promise<BootResult> {
  const t0 = Date.now();
  const key = await snapshotKeyOf(spec);
  const snap = await findSnapshot(key);
  if (snap) {
    const restored = await restore(spec, snap);
    if (!restored.ok) await dropSnapshot(key);
    // A restore's time counts from here: the snapshot's hash check is part of it.
    return { ...restored, bootMs: Date.now() - t0 };
  }
  const { boot, qemu } = await coldBoot(spec);
  if (!boot.ok || !qemu) return boot;
  return save(spec, boot.vm as QemuInstance, qemu, key, boot.bootMs);
}

/** Save the ready guest as `key`'s snapshot, and give the run a new session on the guest, which runs on. */
async function save(
  spec: VmSpec,
  vm: QemuInstance,
  qemu: QemuProcess,
  key: string,
  bootMs: number,
): Promise<BootResult> {
  const t = Date.now();
  const scratch = await snapshotScratch(key);
  let warning: string | undefined;
  try {
    await vm.saveState(path.join(scratch, "state"));
    await storeSnapshot(scratch, key, await vm.console(), { bootMs, saveMs: Date.now() - t });
  } catch (err) {
    await fs.rm(scratch, { recursive: true, force: true });
    warning = `the booted guest was not saved as a snapshot (the next run boots cold too): ${(err as Error).message}`;
  }
  try {
    vm.reconnect(await GuestShell.connect(qemu.sshPort, spec.key, spec.hostPublicKey, 20000));
  } catch (err) {
    vm.kill();
    const reason = `the guest did not answer SSH again after its save: ${(err as Error).message}`;
    return {
      ok: false,
      cause: "infra",
      reason,
      bootMs: Date.now() - qemu.started,
      console: await vm.console(),
      command: vm.command,
    };
  }
  return {
    ok: true,
    vm,
    bootMs: Date.now() - qemu.started,
    start: warning ? "cold" : "saved",
    ...(warning && { warning }),
  };
}

/**
 * A new QEMU from the snapshot: the same argv but for a new SSH port, a new disk, a new
 * console that starts with the snapshot's, and a new VM generation ID (Linux reseeds its
 * RNG on it, so restored guests do not all draw the same numbers).
 */
async function restore(spec: VmSpec, snap: Snapshot): Promise<BootResult> {
  await fs.copyFile(snap.console, spec.consoleLog);
  await fs.appendFile(
    spec.consoleLog,
    `[kharness] restored from the booted snapshot ${snap.key.slice(0, 12)} saved ${snap.meta.savedAt}\n`,
  );
  const sshPort = await freeLoopbackPort();
  const qmpSocket = newQmpSocket();
  const argv = qemuArgv({ ...qemuSpec(spec, sshPort), vmgenid: randomUUID(), qmpSocket, incoming: snap.state });
  const { qemu, fail } = startQemu(spec.arch.qemu, argv, sshPort, qmpSocket, spec.consoleLog);
  try {
    return await waitRestored(spec, qemu, fail);
  } catch (err) {
    return fail("infra", `restoring the booted snapshot ${snap.key.slice(0, 12)} failed: ${(err as Error).message}`);
  }
}

/** Wait for the loaded guest to run (QMP), then for its sshd to take our key on the new port. */
async function waitRestored(spec: VmSpec, qemu: QemuProcess, fail: Fail): Promise<BootResult> {
  const alive = () => qemu.proc.exitCode === null && qemu.proc.signalCode === null;
  const deadline = qemu.started + RESTORE_TIMEOUT_MS;
  const qmp = await Qmp.connect(qemu.qmpSocket, RESTORE_TIMEOUT_MS, alive);
  try {
    // Connecting before the guest runs would only queue the SYN, and TCP's first retry is a second later.
    await resume(qmp, deadline - Date.now());
  } catch (err) {
    return fail("infra", `the restored guest never ran (the saved state did not load): ${(err as Error).message}`);
  } finally {
    qmp.close();
  }
  try {
    const shell = await GuestShell.connect(
      qemu.sshPort,
      spec.key,
      spec.hostPublicKey,
      Math.max(1000, deadline - Date.now()),
    );
    return {
      ok: true,
      vm: new QemuInstance(qemu, spec.consoleLog, shell),
      bootMs: Date.now() - qemu.started,
      start: "restored",
    };
  } catch (err) {
    const why = (err as Error).message;
    return fail(
      "infra",
      `the restored guest did not take SSH on its new port${SSH_REFUSED.test(why) ? " (refused)" : ""}: ${why}`,
    );
  }
}
