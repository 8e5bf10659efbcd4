import os from "node:os";
import { HOST_ARCH } from "../core/arch.js";
import type { HostRecord } from "../records/common.js";
import type { VmImplementation } from "../vm/types.js";

/** A results directory name: the prefix and the UTC time, e.g. memcg-hotplug-lockdep-20261126-101134. */
export function newRunId(prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return `${prefix}-${stamp}`;
}

/** The machine a run, matrix or bisection ran on, for its record. */
export async function hostRecord(vm: VmImplementation): Promise<HostRecord> {
  const version = await vm.version();
  return {
    hostname: os.hostname(),
    arch: HOST_ARCH.make,
    cpus: os.cpus().length,
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    ...(version && { qemu: version }),
  };
}
