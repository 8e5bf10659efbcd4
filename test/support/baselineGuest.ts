import path from "node:path";
import { silentProgress } from "../../harness/core/progress.js";
import { READY_MARKER } from "../../harness/image/guestInit.js";
import { generateHostKey } from "../../harness/image/hostKey.js";
import { DEFAULT_GUEST_BINARIES, writeInitramfs } from "../../harness/image/initramfs.js";
import { prepareVariantKernel } from "../../harness/pipeline/kernel.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { generateRunKey } from "../../harness/vm/ssh.js";
import type { VmSpec } from "../../harness/vm/types.js";

/**
 * The default scenario's baseline kernel (through the build cache) and a guest image with
 * fresh keys, as a run makes them: the parts of a real boot's VmSpec that every real-boot
 * test shares. The build log and the initramfs go in `dir`.
 */
export async function baselineGuest(dir: string): Promise<Pick<VmSpec, "kernel" | "initrd" | "key" | "hostPublicKey" | "readyMarker">> {
  const loaded = await loadScenario("memcg-hotplug-lockdep");
  const kernel = await prepareVariantKernel(loaded, "before", path.join(dir, "build.log"), silentProgress);
  const key = generateRunKey();
  const hostKey = await generateHostKey();
  const initrd = path.join(dir, "initramfs.cpio");
  await writeInitramfs(initrd, { ...DEFAULT_GUEST_BINARIES, authorizedKey: key.publicKey, hostKey: hostKey.dropbearKey });
  return { kernel: kernel.image.bzImage, initrd, key, hostPublicKey: hostKey.publicKey, readyMarker: READY_MARKER };
}
