import type { Arch } from "../../core/arch.js";
import { toolOutput } from "../../core/exec.js";

const versions = new Map<string, Promise<string>>();

/**
 * The arch's QEMU's version line ("QEMU emulator version 7.2.22 ..."), asked once per binary and process: it
 * goes into cache keys.
 */
export function qemuVersion(arch: Pick<Arch, "qemu">): Promise<string> {
  let version = versions.get(arch.qemu);
  if (!version) {
    version = toolOutput(arch.qemu, ["--version"]).then((r) => r.stdout.split("\n")[0]!);
    versions.set(arch.qemu, version);
  }
  return version;
}
