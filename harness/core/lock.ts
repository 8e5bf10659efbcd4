import { promises as fs } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";
import type { Progress } from "./progress.js";

/** A holder refreshes its lock this often; one not refreshed for STALE_MS has a dead owner. */
const UPDATE_MS = 2000;
const STALE_MS = 10_000;

/**
 * Hold the lock `file` while `body` runs (proper-lockfile: an atomic mkdir of `file`.d,
 * whose mtime the holder keeps fresh). Another process waits, saying who holds it; a lock
 * left by a dead owner (a killed run) goes stale and is taken over; a live one never is,
 * whatever else lies at the path.
 */
export async function withFileLock<T>(
  file: string,
  what: string,
  progress: Progress,
  body: () => Promise<T>,
  pollMs = 2000,
): Promise<T> {
  const dir = `${file}.d`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  let told = false;
  let release: () => Promise<void>;
  for (;;) {
    try {
      release = await lockfile.lock(file, {
        lockfilePath: dir,
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        onCompromised: (err) => progress.info(`warning: the lock on ${what} (${dir}) was lost: ${err.message}`),
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw err;
      if (!told) progress.info(`waiting for ${what}: another kharness (${await ownerOf(file)}) is using it`);
      told = true;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  // Who holds it, for the waiters' message only (the lock directory must stay empty: a stale one is
  // removed with rmdir).
  await fs.writeFile(`${file}.owner`, `pid ${process.pid}`).catch(() => undefined);
  try {
    return await body();
  } finally {
    await release();
  }
}

async function ownerOf(file: string): Promise<string> {
  return fs.readFile(`${file}.owner`, "utf8").catch(() => "owner unknown");
}
