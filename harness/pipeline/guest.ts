import path from "node:path";
import type { Arch } from "../core/arch.js";
import type { Progress } from "../core/progress.js";
import { READY_MARKER } from "../image/guestInit.js";
import { generateHostKey } from "../image/hostKey.js";
import { guestRoot } from "../image/guestRoot.js";
import { writeInitramfs } from "../image/initramfs.js";
import type { Accel, AccelChoice } from "../records/common.js";
import { generateRunKey, type SshKeyPair } from "../vm/ssh.js";
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
 * The guest side of a run on one arch: fresh SSH keys (ours and the guest's), the initramfs
 * that holds them with that arch's busybox and dropbear, and the accelerator (probed with `bzImage`).
 */
export async function prepareGuest(runDir: string, arch: Arch, bzImage: string, vm: VmImplementation, progress: Progress, force?: Accel): Promise<Guest> {
  const key = generateRunKey();
  const hostKey = await generateHostKey();
  const initrd = path.join(runDir, "guest", "initramfs.cpio");
  await writeInitramfs(initrd, { guest: await guestRoot(arch, progress), authorizedKey: key.publicKey, hostKey: hostKey.dropbearKey });
  const accel = await vm.accelerator({ arch, kernel: bzImage, initrd }, progress, force);
  progress.info(`accelerator: ${accel.accel} (${accel.reason})`);
  return { key, hostPublicKey: hostKey.publicKey, initrd, accel, readyMarker: READY_MARKER };
}
