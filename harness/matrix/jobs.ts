/**
 * How many VMs run at once: each TCG guest keeps about two host cores busy (its vCPU
 * threads and QEMU's I/O), and needs its RAM plus QEMU's own overhead. Pure, so the
 * choice and its reason are tested and printed.
 */
export function chooseJobs(hostCores: number, freeMiB: number, vmMiB: number): { count: number; reason: string } {
  const byCores = Math.max(1, Math.floor(hostCores / 2));
  const byMemory = Math.max(1, Math.floor((freeMiB * 0.8) / (vmMiB + 256)));
  const count = Math.min(byCores, byMemory);
  return {
    count,
    reason:
      `${count} VM(s) at once: ${hostCores} cores allow ${byCores} (2 cores per guest), ` +
      `${freeMiB} MiB free allows ${byMemory} (${vmMiB} MiB + 256 MiB per guest, 80% of free)`,
  };
}
