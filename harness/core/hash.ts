import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";

export function sha256(...parts: (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const p of parts) {
    h.update(p);
    h.update("\0");
  }
  return h.digest("hex");
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * File hashes by (path, size, mtime): a file read many times in one process (a tarball, a kernel image) is
 * hashed once per version.
 */
const hashedFiles = new Map<string, string>();

export async function sha256FileOnce(file: string): Promise<string> {
  const st = await fs.stat(file);
  const key = `${file}\0${st.size}\0${st.mtimeMs}`;
  let h = hashedFiles.get(key);
  if (!h) hashedFiles.set(key, (h = await sha256File(file)));
  return h;
}
