import { promises as fs } from "node:fs";
import { toolOutput } from "../core/exec.js";
import { shellQuote } from "../core/shell.js";

/** What a run's disk holds when its guest starts: nothing, or a new filesystem made on the host. */
export type DiskFormat = "ext2";

/** The host command that formats a new disk file, if its format needs one. */
function formatArgv(file: string, format?: DiskFormat): string[] | undefined {
  return format === "ext2" ? ["mke2fs", "-q", "-F", "-t", "ext2", file] : undefined;
}

/**
 * A run's fresh disk: a sparse file of `bytes`, formatted on the host when a workload step
 * asks (mke2fs takes 12 ms here, and 0.9 s of every run inside a TCG guest).
 */
export async function makeDisk(file: string, bytes: number, format?: DiskFormat): Promise<void> {
  await fs.writeFile(file, "");
  await fs.truncate(file, bytes);
  const argv = formatArgv(file, format);
  if (argv)
    await toolOutput(argv[0]!, argv.slice(1), { hint: "apt-get install e2fsprogs (kharness doctor --install)" });
}

/** How makeDisk makes a disk, in words and the command it runs, for --dry-run. */
export function describeDisk(file: string, mib: number, format?: DiskFormat): string {
  const argv = formatArgv(file, format);
  return `a new sparse ${mib} MiB file${argv ? `, then ${shellQuote(argv)}` : ""}`;
}
