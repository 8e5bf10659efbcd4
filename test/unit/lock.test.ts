import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withFileLock } from "../../harness/core/lock.js";
import { silentProgress } from "../../harness/core/progress.js";

describe("the source tree lock", () => {
  it("waits while a live process holds it, takes it when freed, and removes it after", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-lock-"));
    const file = path.join(dir, "tree.lock");
    // pid 1 is alive and is not us: another kharness holding the tree.
    await fs.writeFile(file, "1");
    const order: string[] = [];
    const waiting = withFileLock(file, "tree", silentProgress, async () => void order.push("ran"), 20);
    await new Promise((r) => setTimeout(r, 100));
    order.push("released by the other");
    await fs.rm(file);
    await waiting;
    expect(order).toEqual(["released by the other", "ran"]);
    await expect(fs.access(file)).rejects.toThrow();
    await fs.rm(dir, { recursive: true });
  });

  it("takes over a lock whose owner died (a killed run), and frees it when the body throws", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-lock-"));
    const file = path.join(dir, "tree.lock");
    await fs.writeFile(file, "999999999");
    expect(await withFileLock(file, "tree", silentProgress, async () => fs.readFile(file, "utf8"))).toBe(String(process.pid));
    await expect(withFileLock(file, "tree", silentProgress, async () => Promise.reject(new Error("build failed")))).rejects.toThrow("build failed");
    await expect(fs.access(file)).rejects.toThrow();
    await fs.rm(dir, { recursive: true });
  });
});
