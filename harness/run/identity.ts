import os from "node:os";
import { execa } from "execa";
import type { HostRecord } from "../report/runRecord.js";
import { QEMU } from "../vm/vm.js";

/** A results directory name: the prefix and the UTC time, e.g. memcg-hotplug-lockdep-20261126-101134. */
export function newRunId(prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return `${prefix}-${stamp}`;
}

/** The machine a run or matrix ran on, for its record. */
export async function hostRecord(): Promise<HostRecord> {
  return {
    hostname: os.hostname(),
    cpus: os.cpus().length,
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    qemu: (await execa(QEMU, ["--version"], { reject: false })).stdout.split("\n")[0],
  };
}
