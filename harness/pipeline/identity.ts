import os from "node:os";
import { hostArchName, type Arch } from "../core/arch.js";
import type { HostRecord } from "../records/common.js";
import type { VmImplementation } from "../vm/types.js";

/** A results directory name: the prefix and the UTC time, e.g. memcg-hotplug-lockdep-20261126-101134. */
export function newRunId(prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return `${prefix}-${stamp}`;
}

/**
 * The machine a run, matrix or bisection ran on, for its record (QEMU's version from the binary of the first
 * arch it boots).
 */
export async function hostRecord(vm: VmImplementation, arch: Arch): Promise<HostRecord> {
  const version = await vm.version(arch);
  return {
    hostname: os.hostname(),
    arch: hostArchName(),
    cpus: os.cpus().length,
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    ...(version && { qemu: version }),
  };
}
