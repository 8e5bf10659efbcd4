import path from "node:path";
import { silentProgress } from "../../harness/core/progress.js";
import { READY_MARKER } from "../../harness/image/guestInit.js";
import { guestRoot } from "../../harness/image/guestRoot.js";
import { generateHostKey } from "../../harness/image/hostKey.js";
import { writeInitramfs } from "../../harness/image/initramfs.js";
import { prepareVariantKernel } from "../../harness/pipeline/kernel.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { generateClientKey } from "../../harness/vm/ssh.js";
import type { VmSpec } from "../../harness/vm/types.js";

type BaselineGuest = Pick<VmSpec, "arch" | "kernel" | "initrd" | "key" | "hostPublicKey" | "readyMarker">;

/**
 * The default scenario's baseline kernel for `arch` (through the build cache: cold, this is
 * the full build) and a guest image of that arch's programs with fresh keys, as a run makes
 * them: the parts of a real boot's VmSpec that every real-boot test shares. The build log
 * and the initramfs go in `dir`.
 */
export async function baselineGuest(dir: string, arch = "x86_64"): Promise<BaselineGuest> {
  const loaded = await loadScenario("memcg-hotplug-lockdep", { arch });
  const kernel = await prepareVariantKernel(loaded, "before", path.join(dir, "build.log"), silentProgress);
  const key = generateClientKey();
  const hostKey = await generateHostKey();
  const initrd = path.join(dir, "initramfs.cpio");
  const guest = await guestRoot(loaded.arch, silentProgress);
  await writeInitramfs(initrd, { guest, authorizedKey: key.publicKey, hostKey: hostKey.dropbearKey });
  return {
    arch: loaded.arch,
    kernel: kernel.image.bzImage,
    initrd,
    key,
    hostPublicKey: hostKey.publicKey,
    readyMarker: READY_MARKER,
  };
}
