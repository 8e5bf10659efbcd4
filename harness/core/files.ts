import { promises as fs } from "node:fs";
import { randomUUID } from "node:crypto";
import path from "node:path";

/** Write via a temp file and rename, so a reader or a crash never sees half a file; `mode` for a secret. */
export async function writeFileAtomic(file: string, data: string | Buffer, mode?: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomUUID()}`;
  try {
    await fs.writeFile(tmp, data, mode === undefined ? {} : { mode });
    await fs.rename(tmp, file);
  } catch (err) {
    // A full disk leaves the old file whole and no half-written temp beside it; the error
    // names the file (a failed write, unlike a failed open, carries no path of its own).
    await fs.rm(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    e.path ??= file;
    throw e;
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + "\n");
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  if (!(await exists(file))) return undefined;
  return JSON.parse(await fs.readFile(file, "utf8")) as T;
}
