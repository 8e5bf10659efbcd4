/**
 * Booted snapshots: a guest saved once it is ready (QEMU's migration stream), per kernel
 * image and guest shape, so later runs of that kernel start from it instead of booting.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { writeJsonAtomic } from "../../core/files.js";
import { sha256, sha256File } from "../../core/hash.js";
import { cacheRoot } from "../../core/paths.js";
import { SnapshotMetaSchema, type SnapshotMeta } from "../../records/cache.js";
import { readRecordIfExists } from "../../records/read.js";
import { qemuArgv, type QemuSpec } from "./argv.js";

/**
 * Entries kept, most recently used first: a run's initramfs holds its own keys, so old runs' snapshots are
 * never used again.
 */
const KEEP = 12;

export interface Snapshot {
  key: string;
  /** The migration stream, for -incoming. */
  state: string;
  /** The console up to the save: a restored run's console starts with it, as a fresh boot's would. */
  console: string;
  meta: SnapshotMeta;
}

/**
 * The argv with what differs between boots of one shape replaced by placeholders (the files,
 * the port, the generation ID, the sockets): what is left is the machine, its devices, the
 * accelerator, the CPU model, the vCPUs, the memory and the kernel command line, all of
 * which must be equal on both sides of a migration.
 */
export function snapshotShape(spec: QemuSpec): string[] {
  const { incoming: _restoredFrom, ...booted } = spec;
  return qemuArgv({
    ...booted,
    kernel: "KERNEL",
    initrd: "INITRD",
    consoleLog: "CONSOLE",
    ...(spec.disk !== undefined && { disk: "DISK" }),
    ...(spec.sshPort !== undefined && { sshPort: 1 }),
    ...(spec.vmgenid !== undefined && { vmgenid: "GUID" }),
    ...(spec.qmpSocket !== undefined && { qmpSocket: "QMP" }),
  });
}

export interface SnapshotKeyInputs {
  kernelSha256: string;
  initrdSha256: string;
  qemuVersion: string;
  /** The disk's size: a restored guest's block device must be the size it saw at boot. */
  diskBytes: number | undefined;
  shape: string[];
}

export function snapshotKey(k: SnapshotKeyInputs): string {
  return sha256(
    "kharness-snapshot-v1",
    k.kernelSha256,
    k.initrdSha256,
    k.qemuVersion,
    String(k.diskBytes ?? "no disk"),
    ...k.shape,
  );
}

const entryDir = (key: string) => path.join(cacheRoot(), "snapshots", key);

/**
 * States this process has hashed, by the file's identity then (inode, size, mtime, ctime):
 * while none of these changed, neither did the bytes, so a kernel's later restores in one run
 * skip the 0.25 s of hashing 67 MB again. Any write changes ctime, which no one can set back.
 */
const hashed = new Map<string, { identity: string; sha256: string }>();

async function stateSha256(state: string): Promise<string> {
  const st = await fs.stat(state);
  const identity = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const known = hashed.get(state);
  if (known?.identity === identity) return known.sha256;
  const sha256 = await sha256File(state);
  hashed.set(state, { identity, sha256 });
  return sha256;
}

/** The snapshot for `key` if its entry is whole and its state still has its recorded hash; a damaged one is removed. */
export async function findSnapshot(key: string): Promise<Snapshot | undefined> {
  const dir = entryDir(key);
  const metaFile = path.join(dir, "meta.json");
  const meta = await readRecordIfExists(SnapshotMetaSchema, metaFile, "booted snapshot").catch(() => undefined);
  const state = path.join(dir, "state");
  const whole =
    meta !== undefined && meta.key === key && (await stateSha256(state).catch(() => "")) === meta.stateSha256;
  if (!whole) {
    await dropSnapshot(key);
    return undefined;
  }
  // Its use is its age: pruning keeps the entries used last.
  const now = new Date();
  await fs.utimes(metaFile, now, now).catch(() => undefined);
  return { key, state, console: path.join(dir, "console.log"), meta };
}

export async function dropSnapshot(key: string): Promise<void> {
  await fs.rm(entryDir(key), { recursive: true, force: true });
}

/** A directory to save `key` into (the migration writes `state` there, then storeSnapshot publishes it). */
export async function snapshotScratch(key: string): Promise<string> {
  const dir = `${entryDir(key)}.saving-${process.pid}-${Date.now()}`;
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** Publish a saved state and its console as the entry for `key`, then prune old entries. */
export async function storeSnapshot(
  scratch: string,
  key: string,
  console: string,
  timings: { bootMs: number; saveMs: number },
): Promise<void> {
  const state = path.join(scratch, "state");
  await fs.writeFile(path.join(scratch, "console.log"), console);
  const stateBytes = (await fs.stat(state)).size;
  const meta: SnapshotMeta = {
    key,
    stateSha256: await sha256File(state),
    stateBytes,
    savedAt: new Date().toISOString(),
    ...timings,
  };
  await writeJsonAtomic(path.join(scratch, "meta.json"), meta);
  // Another run may have saved the same key first: theirs stays, ours goes.
  await fs.rename(scratch, entryDir(key)).catch(() => fs.rm(scratch, { recursive: true, force: true }));
  await pruneSnapshots();
}

/** A save cut short (a killed run) leaves its scratch directory: gone after this long. */
const SCRATCH_MS = 10 * 60_000;

async function pruneSnapshots(): Promise<void> {
  const root = path.join(cacheRoot(), "snapshots");
  const entries = await fs.readdir(root, { withFileTypes: true });
  for (const e of entries.filter((x) => x.name.includes(".saving-"))) {
    const st = await fs.stat(path.join(root, e.name)).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > SCRATCH_MS)
      await fs.rm(path.join(root, e.name), { recursive: true, force: true });
  }
  const aged = await Promise.all(
    entries
      .filter((e) => e.isDirectory() && !e.name.includes("."))
      .map(async (e) => ({
        name: e.name,
        used: (await fs.stat(path.join(root, e.name, "meta.json")).catch(() => undefined))?.mtimeMs ?? 0,
      })),
  );
  aged.sort((a, b) => b.used - a.used);
  for (const old of aged.slice(KEEP)) await dropSnapshot(old.name);
}
