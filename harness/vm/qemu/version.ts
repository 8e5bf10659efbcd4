import { HOST_ARCH } from "../../core/arch.js";
import { toolOutput } from "../../core/exec.js";

let version: Promise<string> | undefined;

/** QEMU's version line ("QEMU emulator version 7.2.22 ..."), asked once per process: it goes into cache keys. */
export function qemuVersion(): Promise<string> {
  version ??= toolOutput(HOST_ARCH.qemu, ["--version"]).then((r) => r.stdout.split("\n")[0]!);
  return version;
}
