import { promises as fs } from "node:fs";
import { toolOutput } from "../core/exec.js";

/** What a run's disk holds when its guest starts: nothing, or a new filesystem made on the host. */
export type DiskFormat = "ext2";

/**
 * A run's fresh disk: a sparse file of `bytes`, formatted on the host when a workload step
 * asks (mke2fs takes 12 ms here, and 0.9 s of every run inside a TCG guest).
 */
export async function makeDisk(file: string, bytes: number, format?: DiskFormat): Promise<void> {
  await fs.writeFile(file, "");
  await fs.truncate(file, bytes);
  if (format === "ext2") await toolOutput("mke2fs", ["-q", "-F", "-t", "ext2", file], { hint: "apt-get install e2fsprogs (kharness doctor --install)" });
}
