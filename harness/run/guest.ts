import path from "node:path";
import type { Progress } from "../core/progress.js";
import { DEFAULT_GUEST_BINARIES, writeInitramfs } from "../image/initramfs.js";
import { chooseAccel, type AccelChoice } from "../vm/accel.js";
import type { Accel } from "../vm/qemu.js";
import { generateRunKey, type SshKeyPair } from "../vm/ssh.js";

export interface Guest {
  key: SshKeyPair;
  initrd: string;
  accel: AccelChoice;
}

/** The guest side of a run: a fresh SSH key, the initramfs that trusts it, and the accelerator (probed with `bzImage`). */
export async function prepareGuest(runDir: string, bzImage: string, progress: Progress, force?: Accel): Promise<Guest> {
  const key = generateRunKey();
  const initrd = path.join(runDir, "guest", "initramfs.cpio");
  await writeInitramfs(initrd, { ...DEFAULT_GUEST_BINARIES, authorizedKey: key.publicKey });
  const accel = await chooseAccel(bzImage, initrd, progress, force);
  progress.info(`accelerator: ${accel.accel} (${accel.reason})`);
  return { key, initrd, accel };
}
