import { promises as fs } from "node:fs";
import path from "node:path";
import { shellQuote } from "../../core/shell.js";
import type { VmImplementation } from "../types.js";
import { chooseAccel } from "./accel.js";
import { qemuArgv, SSH_PORT_PLACEHOLDER } from "./argv.js";
import { coldBoot, qemuSpec } from "./instance.js";
import { bootWithSnapshot } from "./snapshotBoot.js";
import { qemuVersion } from "./version.js";

/** QEMU, with KVM where it works, and booted snapshots where the scenario allows them (VmSpec.snapshot). */
export const qemuVm: VmImplementation = {
  name: "qemu",
  command: (spec) => shellQuote([spec.arch.qemu, ...qemuArgv(qemuSpec(spec, SSH_PORT_PLACEHOLDER))]),
  async boot(spec) {
    await fs.mkdir(path.dirname(spec.consoleLog), { recursive: true });
    return spec.snapshot ? bootWithSnapshot(spec) : (await coldBoot(spec)).boot;
  },
  accelerator: (probe, progress, force) => chooseAccel(probe.arch, probe.kernel, probe.initrd, progress, force),
  version: (arch) => qemuVersion(arch).catch(() => undefined),
};
