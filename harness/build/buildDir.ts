import { promises as fs } from "node:fs";
import path from "node:path";

/**
 * A build directory is trusted only if the last make in it ended by itself. A marker is
 * written before make starts and removed when make exits on its own (success or a compile
 * error). A SIGKILL, an OOM kill or a power cut leaves it behind, and with it files make
 * had half written (make deletes those only when it gets to act on a signal).
 */
export const MARKER = ".kharness-build-in-progress";

export interface MarkerInfo {
  pid: number;
  startedAt: string;
  command: string;
}

export async function markBuildStarted(buildDir: string, info: MarkerInfo): Promise<void> {
  await fs.writeFile(path.join(buildDir, MARKER), `${JSON.stringify(info)}\n`);
}

export async function markBuildEnded(buildDir: string): Promise<void> {
  await fs.rm(path.join(buildDir, MARKER), { force: true });
}

/** Every file (not directory) under `dir` last written at or after `since` (ns): what an unfinished build wrote. */
export async function filesWrittenSince(dir: string, since: bigint): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesWrittenSince(file, since)));
    else if ((await fs.lstat(file, { bigint: true })).mtimeNs >= since) out.push(file);
  }
  return out;
}

/**
 * Make a build directory that an unseen stop left behind trustworthy again: every file the
 * unfinished build wrote (at or after its marker) is removed, so make rebuilds each of them
 * whole; what it did not touch is as a finished build left it. Returns what was found, or
 * undefined for a directory whose last build ended cleanly.
 */
export async function recoverBuildDir(buildDir: string): Promise<{ marker: string; removed: number } | undefined> {
  const marker = path.join(buildDir, MARKER);
  const stat = await fs.stat(marker, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (!stat) return undefined;
  const text = (await fs.readFile(marker, "utf8")).trim();
  // .config was just put right by the config stage, which runs first.
  const keep = new Set([marker, path.join(buildDir, ".config")]);
  const written = (await filesWrittenSince(buildDir, stat.mtimeNs)).filter((f) => !keep.has(f));
  await Promise.all(written.map((f) => fs.rm(f, { force: true })));
  await fs.rm(marker, { force: true });
  return { marker: text, removed: written.length };
}
