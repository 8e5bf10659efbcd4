import path from "node:path";
import type { Arch } from "../core/arch.js";
import { writeFileAtomic } from "../core/files.js";
import { cacheRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { READY_MARKER } from "../image/guestInit.js";
import { generateHostKey } from "../image/hostKey.js";
import { guestRoot } from "../image/guestRoot.js";
import { writeInitramfs } from "../image/initramfs.js";
import { GuestIdentitySchema, type GuestIdentity } from "../records/cache.js";
import type { Accel, AccelChoice } from "../records/common.js";
import { readRecordIfExists } from "../records/read.js";
import { generateClientKey, type SshKeyPair } from "../vm/ssh.js";
import type { VmImplementation } from "../vm/types.js";

export interface Guest {
  key: SshKeyPair;
  /** The guest's SSH host key ("ssh-ed25519 AAAA..."): anything else answering is not our guest. */
  hostPublicKey: string;
  initrd: string;
  accel: AccelChoice;
  readyMarker: string;
}

/**
 * The guest side of a run on one arch: the initramfs with that arch's busybox and dropbear
 * and the cache's SSH identity, and the accelerator (probed with `bzImage`).
 */
export async function prepareGuest(
  runDir: string,
  arch: Arch,
  bzImage: string,
  vm: VmImplementation,
  progress: Progress,
  force?: Accel,
): Promise<Guest> {
  const id = await guestIdentity(progress);
  const initrd = path.join(runDir, "guest", "initramfs.cpio");
  const hostKey = Buffer.from(id.hostKeyDropbear, "base64");
  await writeInitramfs(initrd, { guest: await guestRoot(arch, progress), authorizedKey: id.clientPublicKey, hostKey });
  const accel = await vm.accelerator({ arch, kernel: bzImage, initrd }, progress, force);
  progress.info(`accelerator: ${accel.accel} (${accel.reason})`);
  const key = { privateKey: id.clientPrivateKey, publicKey: id.clientPublicKey };
  return { key, hostPublicKey: id.hostPublicKey, initrd, accel, readyMarker: READY_MARKER };
}

/**
 * The SSH keys of this cache's guests, made once. One identity across runs makes their
 * initramfs the same bytes, so a kernel's booted snapshot is found again by the next run
 * (with a key per run, every run booted each kernel cold). The guest is reachable on
 * 127.0.0.1 only; the private key is as private as the cache (0600).
 */
export async function guestIdentity(progress: Progress): Promise<GuestIdentity> {
  const file = path.join(cacheRoot(), "guest-identity.json");
  // As any cache entry: a damaged one is replaced, never used, and said so.
  const found = await readRecordIfExists(GuestIdentitySchema, file, "guest identity").catch((err: Error) => {
    progress.info(
      `warning: ${file} is damaged; made a new guest identity ` +
        "(the booted snapshots made with the old one will not be found again): " +
        `${err.message.split("\n")[0]}`,
    );
    return undefined;
  });
  if (found) return found;
  const client = generateClientKey();
  const host = await generateHostKey();
  const made: GuestIdentity = {
    clientPrivateKey: client.privateKey,
    clientPublicKey: client.publicKey,
    hostKeyDropbear: host.dropbearKey.toString("base64"),
    hostPublicKey: host.publicKey,
  };
  // Two first runs at once each make one; the later rename wins, and each run uses its own consistently.
  await writeFileAtomic(file, JSON.stringify(made, null, 2) + "\n", 0o600);
  return made;
}
