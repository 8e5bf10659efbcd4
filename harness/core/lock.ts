import { promises as fs } from "node:fs";
import path from "node:path";
import type { Progress } from "./progress.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Hold `file` as a lock (it holds the owner's pid) while `body` runs. Another process
 * waits, saying who holds it; a lock whose owner died (a killed run) is taken over.
 */
export async function withFileLock<T>(file: string, what: string, progress: Progress, body: () => Promise<T>, pollMs = 2000): Promise<T> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  let told = false;
  for (;;) {
    try {
      await fs.writeFile(file, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(await fs.readFile(file, "utf8").catch(() => ""));
      if (!Number.isInteger(owner) || owner <= 0 || !alive(owner)) {
        await fs.rm(file, { force: true });
        continue;
      }
      if (!told) progress.info(`waiting for ${what}: another kharness (pid ${owner}) is using it`);
      told = true;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  try {
    return await body();
  } finally {
    await fs.rm(file, { force: true });
  }
}
