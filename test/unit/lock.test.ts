import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { withFileLock } from "../../harness/core/lock.js";
import { silentProgress } from "../../harness/core/progress.js";

const root = fs.mkdtemp(path.join(os.tmpdir(), "kharness-lock-"));
afterAll(async () => fs.rm(await root, { recursive: true, force: true }));
const lockIn = async (name: string) => path.join(await root, name, "tree.lock");

/** Another process that holds the lock for `ms`, the way a second kharness would. */
function otherHolder(file: string, ms: number) {
  const script =
    `import("${path.resolve("harness/core/lock.ts")}").then(({ withFileLock }) => ` +
    `withFileLock(${JSON.stringify(file)}, "tree", ` +
    `{ info() {}, stage() {}, detail() {}, done() {} }, ` +
    `() => { console.log("held"); return new Promise((r) => setTimeout(r, ${ms})); }))`;
  return execa("npx", ["tsx", "-e", script], { buffer: false });
}

describe("the source tree lock", () => {
  it("waits while another live process holds it, then takes it", async () => {
    const file = await lockIn("live");
    const other = otherHolder(file, 4000);
    await new Promise<void>((r) => other.stdout!.once("data", () => r()));
    const heldAt = Date.now();
    // The other holds it for 4 s from its "held": our body may only run after that. (Its
    // process exits a moment after it releases, so the exit is no clock for this.)
    const ranAt = await withFileLock(file, "tree", silentProgress, async () => Date.now(), 100);
    expect(ranAt - heldAt).toBeGreaterThanOrEqual(3900);
    await other;
  }, 30_000);

  it("a live lock is never taken over, even when it outlives the stale time (the holder keeps it fresh)", async () => {
    const file = await lockIn("long");
    const other = otherHolder(file, 14_000);
    await new Promise<void>((r) => other.stdout!.once("data", () => r()));
    const started = Date.now();
    await withFileLock(file, "tree", silentProgress, async () => undefined, 200);
    expect(Date.now() - started).toBeGreaterThan(11_000);
    await other;
  }, 40_000);

  it("takes over the lock of a dead owner (a killed run) once it is stale", async () => {
    const file = await lockIn("dead");
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.mkdir(`${file}.d`);
    const past = new Date(Date.now() - 60_000);
    await fs.utimes(`${file}.d`, past, past);
    expect(await withFileLock(file, "tree", silentProgress, async () => "ran", 100)).toBe("ran");
  });

  it("an empty or foreign file at the lock's path blocks nothing; the lock is freed when the body throws", async () => {
    const file = await lockIn("foreign");
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, "");
    await expect(
      withFileLock(file, "tree", silentProgress, async () => Promise.reject(new Error("build failed"))),
    ).rejects.toThrow("build failed");
    await expect(fs.access(`${file}.d`)).rejects.toThrow();
    expect(await withFileLock(file, "tree", silentProgress, async () => "again")).toBe("again");
  });
});
